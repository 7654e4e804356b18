// Package poller owns sockets: the listener, accept, readiness and the
// lifetime of every connection. Three engines share one head router and
// frame reader (engine.go) and differ only in how bytes are read and
// written: "epoll" (the default, the project's own level-triggered epoll
// loop: an idle connection costs its Conn and no goroutine), "netpoll"
// (github.com/cloudwego/netpoll, which runs a pooled goroutine when bytes
// arrive) and, for TLS listeners, Go's crypto/tls with a goroutine per
// connection.
//
// A connection first has its HTTP head read and routed: a WebSocket upgrade,
// a held HTTP request (HTTPHandler: SSE and other long-lived responses,
// read and answered here; held.go), a hand-off to fasthttp for any other
// path, or a 400/431. An upgraded
// connection has whole frames read and complete messages handed to its
// Receiver. Writes go straight to the socket without blocking; what the
// socket does not take waits in the connection's queue, bounded by
// MaxPending (see conn.go).
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

// UpgradeHolder is an optional Receiver method, asked once after Open:
// true means the receiver takes over the 101 response, which waits corked
// on the connection (UpgradeCorked) until the receiver's first write or
// Flush, so that the 101 and the first message leave in one write. The
// receiver bounds the wait (the sessions core: 100-200 ms).
type UpgradeHolder interface {
	HoldsUpgradeResponse() bool
}

// Handler decides what to do with requests.
type Handler interface {
	// Upgrade options for a WebSocket path (nil means the path is not a
	// WebSocket endpoint and the request goes to HTTP). path is a view of
	// the connection's input, valid only during the call: copy it to keep
	// it (routing every request allocates nothing).
	UpgradeOptions(path string) *frames.UpgradeOptions
	// Open is called after a successful upgrade, before any message.
	Open(c *Conn, req *frames.Request) Receiver
}
