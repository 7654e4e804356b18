package poller

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"

	"github.com/cloudwego/netpoll"
	"github.com/valyala/fasthttp"

	"github.com/densecable/densecable/frames"
)

// netpollServer runs a listener on cloudwego/netpoll. netpoll runs
// onRequest on a pooled goroutine when bytes arrive and lets it block for
// the rest of a head or frame; a connection with a full socket buffer gets a
// flusher goroutine for as long as it stays full.
type netpollServer struct {
	engine
	loop netpoll.EventLoop
	ln   *listener

	// The sweeper's registry (timeouts): netpoll keeps its own, but does
	// not expose it.
	mu       sync.Mutex
	conns    map[*Conn]struct{}
	stopOnce sync.Once
	stop     chan struct{}
}

type connKey struct{}

func newNetpollServer(opts Options, h Handler, httpServer *fasthttp.Server, log *slog.Logger) *netpollServer {
	return &netpollServer{engine: engine{opts: opts, handler: h, http: httpServer, log: log}, conns: make(map[*Conn]struct{}), stop: make(chan struct{})}
}

func (s *netpollServer) Listen() error {
	tuneNetpoll(s.opts.ReadBufferSize)
	ln, err := newListener(s.opts.Addr, s.opts.Listener, s.opts.ReusePort, s.opts.MaxConn, &s.stats, s.log)
	if err != nil {
		return err
	}
	// netpoll owns accept; while AcceptPaused holds, the listener reports
	// a shortage of descriptors, on which netpoll takes the listener out of
	// its epoll set and retries with a back-off of up to a second.
	ln.paused = s.opts.AcceptPaused
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

func (s *netpollServer) Addr() net.Addr {
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

func (s *netpollServer) Serve() error {
	sw := &sweeper{opts: s.opts, log: s.log, stop: s.stop, conns: s.snapshot, beat: s.sweeperBeat()}
	go sw.run()
	return s.loop.Serve(s.ln)
}

func (s *netpollServer) StopAccepting() { _ = s.ln.Close() }

func (s *netpollServer) Shutdown(ctx context.Context) error {
	s.stopOnce.Do(func() { close(s.stop) })
	return s.loop.Shutdown(ctx)
}

func (s *netpollServer) snapshot(dst []*Conn) []*Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		dst = append(dst, c)
	}
	return dst
}

// netpollIO is the netpoll engine's side of a Conn. It holds netpoll's
// connection, so that a Conn of the epoll engine (the default) does not
// carry a field only this engine uses.
type netpollIO struct {
	resumeSignal
	nc netpoll.Connection
}

// npc is the netpoll connection of a Conn of this engine.
func (c *Conn) npc() netpoll.Connection { return c.io.(*netpollIO).nc }

func (*netpollIO) startFlush(c *Conn) { go flushLoop(c) }

func (*netpollIO) closeSocket(c *Conn) { _ = c.npc().Close() }

// flushLoop drains the queue through netpoll's writer, which waits for the
// socket to become writable (up to the write timeout).
func flushLoop(c *Conn) {
	w := c.npc().Writer()
	c.drainWith(func(bufs [][]byte) (int64, error) {
		var size int64
		for _, b := range bufs {
			if _, err := w.WriteBinary(b); err != nil {
				return 0, err
			}
			size += int64(len(b))
		}
		if err := w.Flush(); err != nil {
			return 0, err
		}
		return size, nil
	})
}

func (s *netpollServer) onPrepare(nc netpoll.Connection) context.Context {
	fd := 0
	if fc, ok := nc.(netpoll.Conn); ok {
		fd = fc.Fd()
	}
	c := s.newConn(&netpollIO{nc: nc}, fd, nc.RemoteAddr())
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	s.stats.active.Add(1) // after: an active connection is in the snapshot, as on the other engines
	_ = nc.AddCloseCallback(func(netpoll.Connection) error {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		recv := c.markClosed()
		s.stats.active.Add(-1)
		s.ln.released()
		if recv != nil {
			recv.OnClose()
		}
		return nil
	})
	return context.WithValue(context.Background(), connKey{}, c)
}

func (s *netpollServer) onRequest(ctx context.Context, nc netpoll.Connection) error {
	c, _ := ctx.Value(connKey{}).(*Conn)
	if c == nil {
		return nc.Close()
	}
	for {
		st, closed := c.readState()
		switch {
		case closed:
			return nil
		case st == stateWS:
			return s.readFrames(c)
		case st == stateHeld:
			// netpoll wants the input consumed: bytes behind a held
			// request (the next keep-alive request, sent as soon as the
			// response arrived) wait here for Finish.
			if !waitResumed(c, c.npc().IsActive) {
				return c.npc().Close()
			}
			continue
		}
		return s.readHead(c)
	}
}

// readHead waits for a complete HTTP request head and routes it. Each wait
// for more bytes is bounded by netpoll's read timeout; the whole head by the
// sweeper (handshake timeout from accept).
func (s *netpollServer) readHead(c *Conn) error {
	r := c.npc().Reader()
	for {
		n := r.Len()
		buf, err := r.Peek(n)
		if err != nil {
			return c.npc().Close()
		}
		head, more := s.scanHead(c, buf)
		if head != nil {
			return s.routeHead(c, head)
		}
		if !more {
			return nil
		}
		// Block for at least one more byte.
		if _, err := r.Peek(n + 1); err != nil {
			s.log.Debug("incomplete request head", "remote", c.RemoteAddr(), "error", err)
			return c.npc().Close()
		}
	}
}

// routeHead acts on a complete head; the upgraded connection goes on with
// the frames already read.
func (s *netpollServer) routeHead(c *Conn, head []byte) error {
	var httpErr error
	res := s.serveHead(c, head, func() { httpErr = s.handOff(c) })
	if res == headDone {
		return httpErr
	}
	r := c.npc().Reader()
	_ = r.Skip(len(head))
	if res == headBody {
		// The body within netpoll's read timeout (each wait) and the
		// handshake timeout (the whole request, by the sweeper).
		var body []byte
		if n := c.bodyLen(); n > 0 {
			b, err := r.Next(n)
			if err != nil {
				s.log.Debug("incomplete request body", "remote", c.RemoteAddr(), "error", err)
				return c.npc().Close()
			}
			body = b
		}
		s.serveHeld(c, body, false)
		_ = r.Release()
		return nil // onRequest goes on with what follows, if anything
	}
	_ = r.Release()
	if r.Len() > 0 {
		return s.readFrames(c)
	}
	return nil
}

// handOff hands the connection to fasthttp for as long as it keeps it
// (keep-alive); this goroutine exists only for that time.
func (s *netpollServer) handOff(c *Conn) error {
	c.mu.Lock()
	c.state = stateHTTPServed // fasthttp's timeouts apply now
	c.mu.Unlock()
	s.serveHTTP(c.npc(), c.RemoteAddr())
	return c.npc().Close()
}

// readFrames reads every frame available and dispatches messages. netpoll
// wants the input consumed, so it waits for the rest of a frame that has
// begun (each wait bounded by netpoll's read timeout, the whole frame by the
// sweeper).
func (s *netpollServer) readFrames(c *Conn) error {
	r := c.npc().Reader()
	for r.Len() > 0 {
		if r.Len() < 2 {
			c.notePartial(true)
		}
		hb, err := r.Peek(2)
		if err != nil {
			return c.npc().Close()
		}
		hlen := frames.HeaderSize(hb[0], hb[1])
		if r.Len() < hlen {
			c.notePartial(true)
		}
		if hb, err = r.Peek(hlen); err != nil {
			return c.npc().Close()
		}
		h, ok := s.frameHeader(c, hb)
		if !ok {
			_ = r.Skip(r.Len())
			_ = r.Release()
			return nil
		}
		_ = r.Skip(hlen)
		if int64(r.Len()) < h.Length {
			c.notePartial(true)
		}
		payload, err := r.Next(int(h.Length))
		if err != nil {
			return c.npc().Close()
		}
		s.stats.bytesRecv.Add(uint64(hlen) + uint64(h.Length))
		stop := s.frameIn(c, h, payload)
		_ = r.Release()
		if stop {
			return nil
		}
	}
	return nil
}
