package poller

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/densecable/densecable/frames"
)

// stdServer serves TLS (--ssl_cert/--ssl_key) with Go's net and crypto/tls:
// one reading goroutine per connection, since TLS records cannot be read
// from a raw descriptor by an epoll loop. It is the engine for encrypted
// listeners only; plain listeners use epoll or netpoll.
type stdServer struct {
	engine
	tls *tls.Config

	ln    net.Listener
	mu    sync.Mutex
	conns map[*Conn]struct{}
	// sockets counts every open socket, those handed to fasthttp included
	// (--max-conn counts them all).
	sockets  int
	wg       sync.WaitGroup
	stopOnce sync.Once
	stop     chan struct{}
	// Adopted connections (adopt.go): refused once adoptStopped (under
	// mu); sweepOnce starts the sweeper of a server without a listener.
	adoptStopped bool
	sweepOnce    sync.Once
}

func newStdServer(opts Options, h Handler, httpServer *fasthttp.Server, log *slog.Logger) *stdServer {
	return &stdServer{engine: engine{opts: opts, handler: h, http: httpServer, log: log}, tls: opts.TLS, conns: make(map[*Conn]struct{}), stop: make(chan struct{})}
}

func (s *stdServer) Addr() net.Addr {
	if s.ln == nil {
		if s.opts.ListenNone {
			return listenNoneAddr(s.opts)
		}
		return nil
	}
	return s.ln.Addr()
}

func (s *stdServer) Listen() error {
	if s.opts.ListenNone {
		return nil
	}
	ln, err := listenTCP(s.opts.Addr, s.opts.Listener, s.opts.ReusePort)
	if err != nil {
		return err
	}
	if s.tls != nil {
		ln = tls.NewListener(ln, s.tls)
	}
	s.ln = ln
	return nil
}

func (s *stdServer) Serve() error {
	if s.ln == nil {
		// Only adopted connections: Adopt starts the sweeper.
		<-s.stop
		s.wg.Wait()
		return nil
	}
	sw := &sweeper{opts: s.opts, log: s.log, stop: s.stop, conns: s.snapshot, beat: s.sweeperBeat()}
	go sw.run()
	for {
		if !s.waitAccept() {
			s.wg.Wait()
			return nil
		}
		nc, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				s.wg.Wait()
				return nil
			}
			s.log.Warn("accept failed", "error", err)
			time.Sleep(50 * time.Millisecond) // e.g. out of descriptors: do not spin
			continue
		}
		s.mu.Lock()
		if s.opts.MaxConn > 0 && s.sockets >= s.opts.MaxConn {
			s.mu.Unlock()
			s.stats.refused.Add(1)
			_ = nc.Close()
			continue
		}
		c := s.newConn(&stdIO{nc: nc, s: s}, -1, nc.RemoteAddr())
		s.conns[c] = struct{}{}
		s.sockets++
		s.mu.Unlock()
		s.stats.accepted.Add(1)
		s.stats.active.Add(1)
		s.wg.Add(1)
		go s.serveConn(c, nc)
	}
}

// waitAccept returns once accepting may go on: at once unless AcceptPaused
// holds, in which case it rechecks every acceptRecheck (connections wait in
// the kernel's backlog meanwhile). False means the server is stopping. A
// pause that begins while Accept blocks lets that one connection in.
func (s *stdServer) waitAccept() bool {
	if s.opts.AcceptPaused == nil || !s.opts.AcceptPaused() {
		return true
	}
	t := time.NewTicker(acceptRecheck)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return false
		case <-t.C:
			if !s.opts.AcceptPaused() {
				return true
			}
		}
	}
}

func (s *stdServer) snapshot(dst []*Conn) []*Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		dst = append(dst, c)
	}
	return dst
}

func (s *stdServer) StopAccepting() {
	s.stopAdopting()
	if s.ln != nil {
		_ = s.ln.Close()
	}
}

func (s *stdServer) Shutdown(ctx context.Context) error {
	s.stopOnce.Do(func() { close(s.stop) })
	s.StopAccepting()
	s.mu.Lock()
	all := make([]*Conn, 0, len(s.conns))
	for c := range s.conns {
		all = append(all, c)
	}
	s.mu.Unlock()
	for _, c := range all {
		c.closeNow()
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// serveConn reads one connection until it ends.
func (s *stdServer) serveConn(c *Conn, nc net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		s.sockets--
		s.mu.Unlock()
	}()
	defer func() {
		// A close frame still queued is written by the flusher, which then
		// closes the socket (within the write timeout).
		c.mu.Lock()
		flushingClose := c.closeAfter && c.flushing && !c.closed
		c.mu.Unlock()
		if !flushingClose {
			c.closeNow()
		}
	}()
	br := bufio.NewReaderSize(nc, 4096)
	for {
		res, ok := s.serveRequest(c, nc, br)
		if !ok {
			return
		}
		if res == headUpgraded {
			break
		}
	}
	_ = nc.SetReadDeadline(time.Time{})
	var hb [frames.MaxHeaderSize]byte
	for !c.isClosed() {
		// Waiting for a frame costs nothing; once its first byte is in, the
		// frame (and a fragmented message) runs against the frame timeout.
		if _, err := br.Peek(1); err != nil {
			return
		}
		c.notePartial(true)
		if _, err := io.ReadFull(br, hb[:2]); err != nil {
			return
		}
		hlen := frames.HeaderSize(hb[0], hb[1])
		if _, err := io.ReadFull(br, hb[2:hlen]); err != nil {
			return
		}
		h, ok := s.frameHeader(c, hb[:hlen])
		if !ok {
			return
		}
		payload := make([]byte, h.Length)
		if _, err := io.ReadFull(br, payload); err != nil {
			return
		}
		s.stats.bytesRecv.Add(uint64(hlen) + uint64(h.Length))
		if s.frameIn(c, h, payload) {
			return
		}
	}
}

// serveRequest reads one request head and serves it: a WebSocket upgrade
// (frames follow), a hand-off to fasthttp, or a held request, after which
// the next request of a keep-alive connection follows. false: the
// connection is done.
func (s *stdServer) serveRequest(c *Conn, nc net.Conn, br *bufio.Reader) (headResult, bool) {
	_ = nc.SetReadDeadline(time.Now().Add(s.opts.HandshakeTimeout))
	var head []byte
	for {
		n := br.Buffered()
		if n == 0 {
			n = 1
		}
		buf, err := br.Peek(n)
		if err != nil && len(buf) == 0 {
			return headDone, false
		}
		var more bool
		if head, more = s.scanHead(c, buf); head != nil {
			break
		}
		if !more {
			return headDone, false
		}
		if _, err := br.Peek(len(buf) + 1); err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return headDone, false
		}
		if br.Buffered() >= br.Size() {
			rejectHead(c, s.log, "request head too large", headTooLarge)
			return headDone, false
		}
	}
	handOff := func() {
		_ = nc.SetReadDeadline(time.Time{})
		// The head is still in the reader: fasthttp reads it again.
		read, _ := br.Peek(br.Buffered())
		pc := &prefixConn{Conn: nc, prefix: append([]byte(nil), read...)}
		s.detach(c)
		s.serveHTTP(pc, c.remote)
		_ = nc.Close()
	}
	res := s.serveHead(c, head, handOff)
	switch res {
	case headDone:
		return res, false
	case headUpgraded:
		_, _ = br.Discard(len(head))
		return res, true
	}
	_, _ = br.Discard(len(head))
	body := make([]byte, c.bodyLen())
	if _, err := io.ReadFull(br, body); err != nil {
		s.log.Debug("incomplete request body", "remote", c.RemoteAddr(), "error", err)
		return res, false
	}
	_ = nc.SetReadDeadline(time.Time{})
	if s.serveHeld(c, body, false) {
		// Held: the client's next bytes (or its leaving) wait for Finish;
		// a close wakes the wait too (markClosed).
		if _, err := br.Peek(1); err != nil {
			return res, false
		}
		if !waitResumed(c, func() bool { return true }) {
			return res, false
		}
	}
	return res, true
}

// detach forgets a connection handed to fasthttp.
func (s *stdServer) detach(c *Conn) {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.stats.active.Add(-1)
}

// stdIO writes through the net.Conn (TLS) from a flusher goroutine that
// lives while output is queued.
type stdIO struct {
	resumeSignal
	nc   net.Conn
	s    *stdServer
	once sync.Once
}

func (io *stdIO) startFlush(c *Conn) { go io.flush(c) }

func (io *stdIO) flush(c *Conn) {
	c.drainWith(func(bufs [][]byte) (int64, error) {
		if io.s.opts.WriteTimeout > 0 {
			_ = io.nc.SetWriteDeadline(time.Now().Add(io.s.opts.WriteTimeout))
		}
		nb := net.Buffers(bufs)
		return nb.WriteTo(io.nc)
	})
}

func (io *stdIO) closeSocket(c *Conn) {
	io.once.Do(func() {
		recv := c.markClosed()
		_ = io.nc.Close()
		io.s.mu.Lock()
		_, tracked := io.s.conns[c]
		delete(io.s.conns, c)
		io.s.mu.Unlock()
		if tracked {
			io.s.stats.active.Add(-1)
		}
		if recv != nil {
			recv.OnClose()
		}
	})
}
