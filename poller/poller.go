// Package poller owns sockets: the listener, accept, readiness and the
// lifetime of every connection, on github.com/cloudwego/netpoll's epoll loop.
//
// An idle connection costs no goroutine. When bytes arrive, netpoll runs
// onRequest on a pooled goroutine; it reads the HTTP head (then upgrades to
// WebSocket or hands the connection to fasthttp) or reads whole WebSocket
// frames and hands complete messages to the connection's Receiver. Writes go
// straight to the socket without blocking; only a connection whose socket
// buffer is full gets a short-lived flusher goroutine (see conn.go).
package poller

import (
	"github.com/gobwas/ws"

	"github.com/densecable/densecable/frames"
)

// Receiver gets a WebSocket connection's traffic. Calls for one connection
// never overlap. Payloads are only valid during the call.
type Receiver interface {
	OnMessage(op ws.OpCode, payload []byte)
	// OnClose runs once, after the socket is closed, whoever closed it.
	OnClose()
}

// Handler decides what to do with requests.
type Handler interface {
	// Upgrade options for a WebSocket path (nil means the path is not a
	// WebSocket endpoint and the request goes to HTTP).
	UpgradeOptions(path string) *frames.UpgradeOptions
	// Open is called after a successful upgrade, before any message.
	Open(c *Conn, req *frames.Request) Receiver
}
