package poller

import (
	"bytes"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/gobwas/ws"
	"github.com/valyala/fasthttp"

	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/internal/heartbeat"
)

// engine is what every engine (epoll, netpoll, TLS) shares: the settings,
// the handlers and the decisions taken on what a client sent. An engine
// only reads bytes and writes them; what a request head or a frame means,
// and what to answer, is decided here once, so the engines cannot drift
// apart (the contract tests in contract_test.go run on each).
type engine struct {
	opts    Options
	handler Handler
	http    *fasthttp.Server
	log     *slog.Logger
	stats   Stats

	beatOnce  sync.Once // the sweeper's heartbeat (heartbeat.go)
	sweepBeat *heartbeat.Beat
}

func (e *engine) Stats() StatsSnapshot { return e.stats.snapshot() }

// newConn is a freshly accepted connection, before its head.
func (e *engine) newConn(io connIO, fd int, remote net.Addr) *Conn {
	c := &Conn{io: io, fd: fd, remote: remote, stats: &e.stats, maxPending: e.opts.MaxPending}
	c.partialSince.Store(time.Now().UnixNano()) // the handshake's clock
	c.asm.MaxSize = e.opts.MaxMessageSize
	return c
}

// scanHead looks at every byte a connection sent before its head is
// complete. It returns the head (aliasing buf) once its end is in. Without
// it, more reports whether to wait for more bytes: false means the client
// got its 400 (not HTTP) or 431 (head too large) and the connection is
// closing.
func (e *engine) scanHead(c *Conn, buf []byte) (head []byte, more bool) {
	if i := bytes.Index(buf, headEnd); i >= 0 {
		return buf[:i+len(headEnd)], false
	}
	if notHTTP(buf) {
		rejectHead(c, e.log, "malformed request line", badRequest)
		return nil, false
	}
	if len(buf) >= e.opts.MaxHeadSize {
		rejectHead(c, e.log, "request head too large", headTooLarge)
		return nil, false
	}
	return nil, true
}

// headResult is what serving a complete head led to.
type headResult uint8

const (
	headDone     headResult = iota // handed to fasthttp, or refused and closing
	headUpgraded                   // a WebSocket: frames follow
	headBody                       // a held request: its body follows (Conn.bodyLen bytes)
)

// serveHead acts on a complete head: a request for another path goes to
// fasthttp through handOff (the engine's way to give it the socket), one
// that cannot be served gets its 400, a WebSocket upgrade is completed and
// a held request waits for its body. head may alias a read buffer: what
// outlives the call is copied.
func (e *engine) serveHead(c *Conn, head []byte, handOff func()) headResult {
	route, opts, maxBody := routeHead(head, e.handler)
	switch route {
	case routeHTTP:
		handOff()
		return headDone
	case routeBad:
		rejectHead(c, e.log, "malformed request line", badRequest)
		return headDone
	case routeNotUpgrade:
		rejectHead(c, e.log, "plain request to a WebSocket path", badRequestWS)
		return headDone
	case routeHeld:
		if e.holdHead(c, head, maxBody) {
			return headBody
		}
		return headDone
	}
	if upgrade(c, head, opts, e.handler, e.log) { // frames.Upgrade keeps none of head
		return headUpgraded
	}
	return headDone
}

// serveHTTP gives a socket to fasthttp for as long as it keeps it
// (keep-alive); the caller closes it.
func (e *engine) serveHTTP(nc net.Conn, remote net.Addr) {
	if err := e.http.ServeConn(nc); err != nil && !errors.Is(err, net.ErrClosed) {
		e.log.Debug("http connection ended", "remote", remote, "error", err)
	}
}

// frameHeader parses a complete frame header (hlen bytes) and checks it
// against the limits before any payload is buffered; false means the
// connection is closing with the matching close code.
func (e *engine) frameHeader(c *Conn, b []byte) (ws.Header, bool) {
	h, _, err := frames.ParseHeaderExt(b, c.asm.Deflate)
	if err == nil {
		err = checkSize(h, &c.asm, e.opts.MaxMessageSize)
	}
	if err != nil {
		protocolError(c, err, e.log)
		return h, false
	}
	return h, true
}

// frameIn takes a complete frame: it unmasks the payload (in place), adds it
// to the message being assembled and acts on a complete message. It reports
// whether reading must stop (the connection is closing). The payload is only
// used during the call.
func (e *engine) frameIn(c *Conn, h ws.Header, payload []byte) (stop bool) {
	frames.Unmask(h, payload)
	msg, done, err := c.asm.Push(h, payload)
	// A frame finished: the clock restarts for the next one (not for a
	// fragmented message, which is timed as a whole).
	c.notePartial(false)
	if err != nil {
		protocolError(c, err, e.log)
		return true
	}
	return done && dispatch(c, msg, e.log)
}
