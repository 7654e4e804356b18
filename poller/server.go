package poller

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"
	"github.com/valyala/fasthttp"

	"github.com/densecable/densecable/frames"
)

// Server is one listener with its event loop. Two engines implement it:
// "epoll" (the default: raw epoll, nothing allocated for an idle
// connection but its Conn) and "netpoll" (github.com/cloudwego/netpoll).
type Server interface {
	// Listen binds the address; Serve must follow.
	Listen() error
	// Addr is the bound address (useful with port 0).
	Addr() net.Addr
	// Serve runs until Shutdown.
	Serve() error
	// StopAccepting closes the listener; open connections stay.
	StopAccepting()
	// Shutdown closes every connection left and stops the loop.
	Shutdown(ctx context.Context) error
	Stats() StatsSnapshot
}

// Engines lists the engine names New accepts.
var Engines = []string{"epoll", "netpoll"}

// New creates a server on the named engine; httpServer serves every
// non-WebSocket request.
func New(engine string, opts Options, h Handler, httpServer *fasthttp.Server, log *slog.Logger) (Server, error) {
	if opts.MaxHeadSize == 0 {
		opts.MaxHeadSize = 16 << 10
	}
	if opts.HandshakeTimeout == 0 {
		opts.HandshakeTimeout = 5 * time.Second
	}
	if opts.TLS != nil {
		return newStdServer(opts, h, httpServer, log), nil
	}
	switch engine {
	case "", "epoll":
		return newEpollServer(opts, h, httpServer, log), nil
	case "netpoll":
		return newNetpollServer(opts, h, httpServer, log), nil
	}
	return nil, fmt.Errorf("poller: unknown engine %q (want epoll or netpoll)", engine)
}

// Options configures the server.
type Options struct {
	Addr string
	// MaxMessageSize limits an inbound WebSocket message (close 1009 above).
	MaxMessageSize int
	// MaxPending limits queued output per connection (0 = unlimited).
	MaxPending int
	// WriteTimeout bounds a blocked write (ws_write_timeout).
	WriteTimeout time.Duration
	// HandshakeTimeout bounds reading the HTTP request head and any blocked
	// read in the middle of a frame.
	HandshakeTimeout time.Duration
	// MaxHeadSize bounds the HTTP request head (431 above).
	MaxHeadSize int
	// MaxConn caps simultaneous connections (0 = no cap).
	MaxConn int
	// ReadBufferSize is the first read buffer of a connection (grows on
	// demand); applied process-wide on the first Listen.
	ReadBufferSize int
	// SweepInterval is how often the epoll engine checks timeouts
	// (default 1 s; tests make it short).
	SweepInterval time.Duration
	// TLS, when set, serves TLS with Go's crypto/tls (a goroutine per
	// connection); the engine choice is ignored then.
	TLS *tls.Config
}

// Stats are the poller's counters.
type Stats struct {
	accepted    atomic.Uint64
	refused     atomic.Uint64
	active      atomic.Int64
	bytesSent   atomic.Uint64
	bytesRecv   atomic.Uint64
	writeErrors atomic.Uint64
}

// StatsSnapshot is a copy of the counters.
type StatsSnapshot struct {
	Accepted, Refused, BytesSent, BytesRecv, WriteErrors uint64
	Active                                               int64
}

func (s *Stats) snapshot() StatsSnapshot {
	return StatsSnapshot{
		Accepted:    s.accepted.Load(),
		Refused:     s.refused.Load(),
		Active:      s.active.Load(),
		BytesSent:   s.bytesSent.Load(),
		BytesRecv:   s.bytesRecv.Load(),
		WriteErrors: s.writeErrors.Load(),
	}
}

const badRequestWS = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nSec-Websocket-Version: 13\r\nX-Content-Type-Options: nosniff\r\nContent-Length: 12\r\nConnection: close\r\n\r\nBad Request\n"

var headEnd = []byte("\r\n\r\n")

// Canned responses for requests that never become WebSockets.
const (
	badRequest   = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
	headTooLarge = "HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
)

type route uint8

const (
	routeHTTP       route = iota // not a WebSocket path: fasthttp serves it
	routeUpgrade                 // a WebSocket upgrade request
	routeNotUpgrade              // a WebSocket path without an upgrade
	routeBad                     // not HTTP/1.x
)

// routeHead decides what a complete request head is.
func routeHead(head []byte, h Handler) (route, *frames.UpgradeOptions) {
	method, path, ok := requestLine(head)
	if !ok {
		return routeBad, nil
	}
	opts := h.UpgradeOptions(path)
	if opts == nil {
		return routeHTTP, nil
	}
	if method != "GET" || !isUpgrade(head) {
		return routeNotUpgrade, nil
	}
	return routeUpgrade, opts
}

// rejectHead answers a request that will not be served and closes.
func rejectHead(c *Conn, log *slog.Logger, why, response string) {
	log.Debug(why, "remote", c.RemoteAddr())
	_ = c.Write([]byte(response))
	c.Close(0, "")
}

// upgrade completes the WebSocket handshake for head and opens the
// connection's receiver; false means the upgrade was refused.
func upgrade(c *Conn, head []byte, opts *frames.UpgradeOptions, h Handler, log *slog.Logger) bool {
	req, resp, err := frames.Upgrade(head, opts)
	_ = c.Write(resp)
	if err != nil {
		log.Debug("websocket upgrade failed", "remote", c.RemoteAddr(), "error", err)
		c.Close(0, "")
		return false
	}
	recv := h.Open(c, req)
	c.mu.Lock() // the sweeper and closers read these
	c.state = stateWS
	c.recv = recv
	c.mu.Unlock()
	return true
}

// protocolError closes a connection that broke the WebSocket protocol with
// the matching close code.
func protocolError(c *Conn, err error, log *slog.Logger) {
	ce := frames.AsCloseError(err)
	log.Debug("websocket protocol error", "remote", c.RemoteAddr(), "error", err, "code", ce.Code)
	reason := ""
	if ce.Code != frames.CloseMessageTooBig {
		reason = ce.Reason
	}
	c.Close(ce.Code, reason)
}

// dispatch acts on a complete message; it reports whether reading must stop
// (the connection is closing).
func dispatch(c *Conn, m frames.Message, log *slog.Logger) (stop bool) {
	switch m.OpCode {
	case ws.OpPing:
		_ = c.Write(frames.AppendFrame(nil, ws.OpPong, m.Payload))
	case ws.OpPong:
		c.recv.OnMessage(ws.OpPong, nil)
	case ws.OpClose:
		code, _ := frames.ParseClose(m.Payload)
		switch code {
		case frames.CloseNormal, frames.CloseGoingAway, frames.CloseNoStatus:
		default:
			log.Debug("client closed with error code", "remote", c.RemoteAddr(), "code", code)
		}
		if code == frames.CloseNoStatus {
			code = frames.CloseNormal
		}
		c.Close(code, "")
		return true
	default:
		c.recv.OnMessage(m.OpCode, m.Payload)
	}
	return false
}

// requestLine extracts the method and the path (without query) of a head.
func requestLine(head []byte) (method, path string, ok bool) {
	line := head
	if i := bytes.IndexByte(head, '\r'); i >= 0 {
		line = head[:i]
	}
	sp := bytes.IndexByte(line, ' ')
	if sp <= 0 {
		return "", "", false
	}
	rest := line[sp+1:]
	sp2 := bytes.IndexByte(rest, ' ')
	if sp2 <= 0 || !bytes.HasPrefix(rest[sp2+1:], []byte("HTTP/1.")) {
		return "", "", false
	}
	uri := rest[:sp2]
	if q := bytes.IndexByte(uri, '?'); q >= 0 {
		uri = uri[:q]
	}
	return string(line[:sp]), string(uri), true
}

// isUpgrade reports whether the head asks for a WebSocket upgrade.
func isUpgrade(head []byte) bool {
	lower := bytes.ToLower(head)
	i := bytes.Index(lower, []byte("\nupgrade:"))
	if i < 0 {
		return false
	}
	line := lower[i+len("\nupgrade:"):]
	if j := bytes.IndexByte(line, '\r'); j >= 0 {
		line = line[:j]
	}
	return bytes.Contains(line, []byte("websocket"))
}
