package poller

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync/atomic"
	"time"

	"github.com/cloudwego/netpoll"
	"github.com/gobwas/ws"
	"github.com/valyala/fasthttp"

	"github.com/densecable/densecable/frames"
)

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

// Server runs the event loop for one listener.
type Server struct {
	opts    Options
	handler Handler
	http    *fasthttp.Server
	log     *slog.Logger
	loop    netpoll.EventLoop
	ln      *listener
	stats   Stats
	done    chan struct{}
}

type connKey struct{}

// NewServer creates a server; httpServer serves every non-WebSocket request.
func NewServer(opts Options, h Handler, httpServer *fasthttp.Server, log *slog.Logger) *Server {
	if opts.MaxHeadSize == 0 {
		opts.MaxHeadSize = 16 << 10
	}
	if opts.HandshakeTimeout == 0 {
		opts.HandshakeTimeout = 5 * time.Second
	}
	return &Server{opts: opts, handler: h, http: httpServer, log: log, done: make(chan struct{})}
}

// Stats returns a copy of the counters.
func (s *Server) Stats() StatsSnapshot {
	return StatsSnapshot{
		Accepted:    s.stats.accepted.Load(),
		Refused:     s.stats.refused.Load(),
		Active:      s.stats.active.Load(),
		BytesSent:   s.stats.bytesSent.Load(),
		BytesRecv:   s.stats.bytesRecv.Load(),
		WriteErrors: s.stats.writeErrors.Load(),
	}
}

// Listen binds the address; Serve must follow.
func (s *Server) Listen() error {
	ln, err := newListener(s.opts.Addr, s.opts.MaxConn, &s.stats, s.log)
	if err != nil {
		return err
	}
	s.ln = ln
	loop, err := netpoll.NewEventLoop(s.onRequest,
		netpoll.WithOnPrepare(s.onPrepare),
		netpoll.WithReadTimeout(s.opts.HandshakeTimeout),
		netpoll.WithWriteTimeout(s.opts.WriteTimeout),
	)
	if err != nil {
		_ = ln.Close()
		return fmt.Errorf("poller: event loop: %w", err)
	}
	s.loop = loop
	return nil
}

// Addr is the bound address (useful with port 0).
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve runs until Shutdown.
func (s *Server) Serve() error {
	defer close(s.done)
	return s.loop.Serve(s.ln)
}

// StopAccepting closes the listener; open connections stay.
func (s *Server) StopAccepting() {
	_ = s.ln.Close()
}

// Shutdown stops the loop, closing what is left.
func (s *Server) Shutdown(ctx context.Context) error {
	return s.loop.Shutdown(ctx)
}

func (s *Server) onPrepare(nc netpoll.Connection) context.Context {
	c := &Conn{nc: nc, srv: s, maxPending: s.opts.MaxPending}
	if fc, ok := nc.(netpoll.Conn); ok {
		c.fd = fc.Fd()
	}
	c.asm.MaxSize = s.opts.MaxMessageSize
	s.stats.active.Add(1)
	_ = nc.AddCloseCallback(func(netpoll.Connection) error {
		c.markClosed()
		s.stats.active.Add(-1)
		s.ln.released()
		if c.recv != nil {
			c.recv.OnClose()
		}
		return nil
	})
	return context.WithValue(context.Background(), connKey{}, c)
}

func (s *Server) onRequest(ctx context.Context, nc netpoll.Connection) error {
	c, _ := ctx.Value(connKey{}).(*Conn)
	if c == nil {
		return nc.Close()
	}
	if c.state == stateWS {
		return s.readFrames(c)
	}
	return s.readHead(c)
}

var headEnd = []byte("\r\n\r\n")

// readHead waits for a complete HTTP request head and routes it.
func (s *Server) readHead(c *Conn) error {
	r := c.nc.Reader()
	var head []byte
	for {
		n := r.Len()
		buf, err := r.Peek(n)
		if err != nil {
			return c.nc.Close()
		}
		if i := bytes.Index(buf, headEnd); i >= 0 {
			head = buf[:i+len(headEnd)]
			break
		}
		if n >= s.opts.MaxHeadSize {
			s.log.Debug("request head too large", "remote", c.RemoteAddr())
			_ = c.Write([]byte("HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"))
			c.Close(0, "")
			return nil
		}
		// Block (up to the handshake timeout) for at least one more byte.
		if _, err := r.Peek(n + 1); err != nil {
			s.log.Debug("incomplete request head", "remote", c.RemoteAddr(), "error", err)
			return c.nc.Close()
		}
	}
	method, path, ok := requestLine(head)
	if !ok {
		s.log.Debug("malformed request line", "remote", c.RemoteAddr())
		_ = c.Write([]byte("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"))
		c.Close(0, "")
		return nil
	}
	opts := s.handler.UpgradeOptions(path)
	if opts == nil {
		return s.serveHTTP(c)
	}
	if method != "GET" || !isUpgrade(head) {
		_ = c.Write([]byte(badRequestWS))
		_ = r.Skip(len(head))
		_ = r.Release()
		c.Close(0, "")
		return nil
	}
	head = append([]byte(nil), head...) // Upgrade keeps strings; the buffer is released below
	_ = r.Skip(len(head))
	_ = r.Release()
	req, resp, err := frames.Upgrade(head, opts)
	_ = c.Write(resp)
	if err != nil {
		s.log.Debug("websocket upgrade failed", "remote", c.RemoteAddr(), "error", err)
		c.Close(0, "")
		return nil
	}
	c.state = stateWS
	c.recv = s.handler.Open(c, req)
	if r.Len() > 0 {
		return s.readFrames(c)
	}
	return nil
}

const badRequestWS = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nSec-Websocket-Version: 13\r\nX-Content-Type-Options: nosniff\r\nContent-Length: 12\r\nConnection: close\r\n\r\nBad Request\n"

// serveHTTP hands the connection to fasthttp for as long as it keeps it
// (keep-alive); this goroutine exists only for that time.
func (s *Server) serveHTTP(c *Conn) error {
	if err := s.http.ServeConn(c.nc); err != nil && !errors.Is(err, net.ErrClosed) {
		s.log.Debug("http connection ended", "remote", c.RemoteAddr(), "error", err)
	}
	return c.nc.Close()
}

// readFrames reads every complete frame available and dispatches messages.
func (s *Server) readFrames(c *Conn) error {
	r := c.nc.Reader()
	for r.Len() > 0 {
		hb, err := r.Peek(2)
		if err != nil {
			return c.nc.Close()
		}
		hlen := frames.HeaderSize(hb[0], hb[1])
		if hb, err = r.Peek(hlen); err != nil {
			return c.nc.Close()
		}
		h, _, err := frames.ParseHeader(hb)
		if err != nil {
			return s.protocolError(c, err)
		}
		if s.opts.MaxMessageSize > 0 && h.Length > int64(s.opts.MaxMessageSize) {
			return s.protocolError(c, frames.ErrTooBig)
		}
		_ = r.Skip(hlen)
		payload, err := r.Next(int(h.Length))
		if err != nil {
			return c.nc.Close()
		}
		s.stats.bytesRecv.Add(uint64(hlen) + uint64(h.Length))
		frames.Unmask(h, payload)
		msg, done, err := c.asm.Push(h, payload)
		if err != nil {
			_ = r.Release()
			return s.protocolError(c, err)
		}
		if done {
			if stop := s.dispatch(c, msg); stop {
				_ = r.Release()
				return nil
			}
		}
		_ = r.Release()
	}
	return nil
}

func (s *Server) dispatch(c *Conn, m frames.Message) (stop bool) {
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
			s.log.Debug("client closed with error code", "remote", c.RemoteAddr(), "code", code)
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

func (s *Server) protocolError(c *Conn, err error) error {
	ce := frames.AsCloseError(err)
	s.log.Debug("websocket protocol error", "remote", c.RemoteAddr(), "error", err, "code", ce.Code)
	reason := ""
	if ce.Code != frames.CloseMessageTooBig {
		reason = ce.Reason
	}
	c.Close(ce.Code, reason)
	// Drop whatever else the client sent; the connection is going away.
	r := c.nc.Reader()
	_ = r.Skip(r.Len())
	_ = r.Release()
	return nil
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
