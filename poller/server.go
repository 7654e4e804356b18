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
	"unicode/utf8"
	"unsafe"

	"github.com/gobwas/ws"
	"github.com/valyala/fasthttp"

	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/internal/heartbeat"
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
	// WaitHandshakes, after StopAccepting, waits until no connection is
	// still sending its request, or ctx ends (drain.go).
	WaitHandshakes(ctx context.Context)
	// Shutdown closes every connection left and stops the loop.
	Shutdown(ctx context.Context) error
	Stats() StatsSnapshot
	// Heartbeats are the loops the systemd watchdog checks (heartbeat.go).
	Heartbeats() []*heartbeat.Beat
	// Adopt serves a connection another server accepted, with the bytes
	// already read from it in front (adopt.go); nc is closed on error.
	Adopt(nc net.Conn, read []byte) error
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
	if opts.FrameTimeout == 0 {
		opts.FrameTimeout = DefaultFrameTimeout
	}
	if opts.TLS != nil {
		return newStdServer(opts, h, httpServer, log), nil
	}
	if opts.ListenNone && engine == "netpoll" {
		return nil, errAdoptNetpoll
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
	// Listener, when set, is used instead of binding Addr: the socket
	// systemd passed (socket activation). StopAccepting closes only this
	// process's descriptor; the socket and its backlog stay with systemd.
	Listener net.Listener
	// ReusePort sets SO_REUSEPORT before binding Addr (--reuse_port):
	// several processes share the port. Ignored for a passed Listener.
	ReusePort bool
	// MaxMessageSize limits an inbound WebSocket message (close 1009 above).
	MaxMessageSize int
	// MaxPending limits queued output per connection (0 = unlimited).
	MaxPending int
	// WriteTimeout bounds a blocked write (ws_write_timeout).
	WriteTimeout time.Duration
	// HandshakeTimeout bounds reading the HTTP request head, counted from
	// accept (a head trickled byte by byte does not restart it); on the
	// netpoll engine it also bounds a read blocked in the middle of a frame.
	HandshakeTimeout time.Duration
	// FrameTimeout bounds how long a frame, or a fragmented message, may
	// stay incomplete (--ws_frame_timeout; 0 means DefaultFrameTimeout).
	// The partial input itself is bounded by MaxMessageSize.
	FrameTimeout time.Duration
	// MaxHeadSize bounds the HTTP request head (431 above).
	MaxHeadSize int
	// MaxConn caps simultaneous connections (0 = no cap).
	MaxConn int
	// ReadBufferSize is the first read buffer of a connection (grows on
	// demand); applied process-wide on the first Listen.
	ReadBufferSize int
	// SweepInterval is how often the sweeper checks timeouts (default 1 s;
	// tests make it short).
	SweepInterval time.Duration
	// AcceptPaused, when set and true, stops accepting: new connections
	// wait in the kernel's backlog until it returns false (back-pressure
	// from the sessions side). It is checked before accepting and, while
	// paused, every acceptRecheck; nil means never paused.
	AcceptPaused func() bool
	// TLS, when set, serves TLS with Go's crypto/tls (a goroutine per
	// connection); the engine choice is ignored then.
	TLS *tls.Config
	// ListenNone: no listener; connections arrive only through Adopt (an
	// embedding program's net/http server accepts them); Addr() is then
	// "embedded", for log lines.
	ListenNone bool
}

// DefaultFrameTimeout is --ws_frame_timeout's default.
const DefaultFrameTimeout = 30 * time.Second

// acceptRecheck is how often a paused engine asks AcceptPaused again.
const acceptRecheck = 100 * time.Millisecond

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
	routeHeld                    // a request the HTTPHandler holds
)

// routeHead decides what a complete request head is; for a held request
// it also returns the body bound.
func routeHead(head []byte, h Handler) (route, *frames.UpgradeOptions, int) {
	method, path, ok := requestLine(head)
	if !ok {
		return routeBad, nil, 0
	}
	opts := h.UpgradeOptions(path)
	if opts == nil {
		if hh, ok := h.(HTTPHandler); ok {
			if maxBody, hold := hh.HoldHTTP(method, path); hold {
				return routeHeld, nil, maxBody
			}
		}
		return routeHTTP, nil, 0
	}
	if method != "GET" || !isUpgrade(head) {
		return routeNotUpgrade, nil, 0
	}
	return routeUpgrade, opts, 0
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
	if err != nil {
		_ = c.Write(resp)
		log.Debug("websocket upgrade failed", "remote", c.RemoteAddr(), "error", err)
		c.Close(0, "")
		return false
	}
	c.asm.Deflate = req.Deflate // before Open: the session asks for its Framer
	c.asm.DeflateWindowBits = uint8(req.DeflateWindowBits)
	// A WebSocket before Open runs: a handler may refuse the connection
	// from Open or from another goroutine at once (the sessions core
	// authenticates on a worker), and that close must send its close
	// frame (CloseWith sends none before the upgrade).
	//
	// The 101 waits in the cork: the receiver's first write (a welcome, a
	// rejection, a close frame) takes it along in one write, and a
	// receiver that does not hold it (UpgradeHolder) has it flushed after
	// Open. The cork has room for that first message. Only an output limit
	// smaller than the 101 refuses it: it is then written at once.
	c.mu.Lock() // the sweeper and closers read these
	c.state = stateWS
	c.partialSince.Store(0) // from here it times unfinished frames
	corked := c.maxPending <= 0 || len(resp) <= c.maxPending
	if corked {
		c.corked = append(make([][]byte, 0, 2), resp)
		c.corkedBytes = len(resp)
	}
	c.mu.Unlock()
	if !corked {
		_ = c.Write(resp)
	}
	recv := h.Open(c, req)
	if uh, ok := recv.(UpgradeHolder); !ok || !uh.HoldsUpgradeResponse() {
		_ = c.Flush()
	}
	c.mu.Lock()
	c.recv = recv
	closed := c.closed
	c.mu.Unlock()
	if closed && recv != nil {
		// The socket closed during Open, when there was no receiver to
		// tell: it hears now, once.
		recv.OnClose()
	}
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
		c.wsReceiver().OnMessage(ws.OpPong, nil)
	case ws.OpClose:
		code, reason := frames.ParseClose(m.Payload)
		switch {
		case len(m.Payload) == 1 || len(m.Payload) >= 2 && !frames.ValidCloseCode(code):
			// RFC 6455 §7.4: such a code may not be sent back.
			log.Debug("invalid close code from client", "remote", c.RemoteAddr(), "code", code)
			c.Close(frames.CloseProtocolError, "")
			return true
		case !utf8.ValidString(reason):
			log.Debug("invalid close reason from client", "remote", c.RemoteAddr())
			c.Close(frames.CloseInvalidPayload, "")
			return true
		case code == frames.CloseNormal, code == frames.CloseGoingAway, code == frames.CloseNoStatus:
		default:
			log.Debug("client closed with error code", "remote", c.RemoteAddr(), "code", code)
		}
		if code == frames.CloseNoStatus {
			code = frames.CloseNormal
		}
		c.Close(code, "")
		return true
	case ws.OpText, ws.OpBinary:
		op := m.OpCode
		if c.dataOp != 0 {
			op = c.dataOp
		}
		c.wsReceiver().OnMessage(op, m.Payload)
	default:
		c.wsReceiver().OnMessage(m.OpCode, m.Payload)
	}
	return false
}

// notHTTP reports whether b, the first bytes a client sent, cannot be the
// start of an HTTP/1.x request line ("METHOD SP target SP HTTP/1.d CRLF"),
// so that the client gets its 400 at once rather than at the handshake
// timeout. Only the request line is checked; the rest waits for the head.
func notHTTP(b []byte) bool {
	const version = "HTTP/1."
	part, n := 0, 0 // part: 0 method, 1 target, 2 version; n: its length so far
	for _, ch := range b {
		switch part {
		case 0:
			if ch == ' ' && n > 0 {
				part, n = 1, 0
				continue
			}
			if !frames.IsTokenChar(ch) {
				return true
			}
		case 1:
			if ch == ' ' && n > 0 {
				part, n = 2, 0
				continue
			}
			if ch <= ' ' || ch == 0x7f {
				return true
			}
		default:
			switch {
			case n < len(version):
				if ch != version[n] {
					return true
				}
			case n == len(version):
				if ch < '0' || ch > '9' {
					return true
				}
			case n == len(version)+1:
				if ch != '\r' {
					return true
				}
			default:
				return ch != '\n'
			}
		}
		n++
	}
	return false
}

// requestLine extracts the method and the path (without query) of a head.
// The path is a view of head (see Handler.UpgradeOptions): a string per
// request, even garbage, can keep a tiny-allocator block alive beside a
// connection's long-lived strings.
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
	return methodName(line[:sp]), unsafe.String(unsafe.SliceData(uri), len(uri)), true
}

// isUpgrade reports whether the head asks for a WebSocket upgrade: its
// first Upgrade field names websocket.
func isUpgrade(head []byte) bool {
	_, rest, _ := bytes.Cut(head, []byte("\r\n"))
	for {
		k, v, next, end, ok := frames.HeaderLine(rest)
		if end {
			return false
		}
		if ok && frames.EqualFold(k, "upgrade") {
			return containsFold(v, "websocket")
		}
		rest = next
	}
}

// containsFold reports whether v holds lower-case s, ignoring v's case.
func containsFold(v []byte, s string) bool {
	for i := 0; i+len(s) <= len(v); i++ {
		if frames.EqualFold(v[i:i+len(s)], s) {
			return true
		}
	}
	return false
}

// checkSize refuses a data frame that would take the input held for the
// connection past max (0: no limit): its payload plus the fragments already
// assembled. Checked on the header, before any payload is buffered.
func checkSize(h ws.Header, asm *frames.Assembler, max int) error {
	if max <= 0 || h.OpCode.IsControl() {
		return nil
	}
	if h.Length > int64(max-asm.Buffered()) {
		return frames.ErrTooBig
	}
	return nil
}
