package poller

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
	"golang.org/x/sys/unix"

	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/internal/heartbeat"
)

// epollServer is the default engine: raw epoll, level-triggered. An idle
// connection costs its Conn and nothing else: reads land in one buffer per
// loop and only the tail of an incomplete head or frame is copied into the
// connection. Writes go straight to the socket; a socket that is full gets
// EPOLLOUT armed until the queue drains (no goroutine). A sweeper enforces
// the handshake, read-stall and write timeouts once a second.
type epollServer struct {
	engine
	adoptState // connections handed over by an embedding program (adopt.go)

	ln    *listener
	loops []*loop
	next  int // round-robin loop for new connections (accepting loop only)

	// Accept back-pressure: the listener leaves the epoll set while
	// AcceptPaused says so (level-triggered, it would wake the loop
	// without end), and the sweeper puts it back.
	acceptMu  sync.Mutex
	acceptOff bool // listener out of the epoll set (paused or stopped)
	stopped   bool // StopAccepting ran: never re-add
	pausedC   chan struct{}

	stopping chan struct{}
	done     chan struct{}
}

// loop is one epoll instance and its goroutine.
type loop struct {
	s    *epollServer
	epfd int
	wake int // eventfd that interrupts epoll_wait: shutdown, the watchdog's wake-up
	buf  []byte

	mu      sync.Mutex
	conns   map[int]*Conn
	adopted []*Conn // handed over by Adopt, registered by the loop (adopt.go)
	exited  bool    // descriptors closed; guarded by mu (heartbeat.go)

	beat *heartbeat.Beat // one tick per epoll_wait return (heartbeat.go)
}

func newEpollServer(opts Options, h Handler, httpServer *fasthttp.Server, log *slog.Logger) *epollServer {
	return &epollServer{engine: engine{opts: opts, handler: h, http: httpServer, log: log}, stopping: make(chan struct{}), done: make(chan struct{}), pausedC: make(chan struct{}, 1)}
}

func (s *epollServer) Addr() net.Addr {
	if s.ln == nil {
		if s.opts.ListenNone && len(s.loops) > 0 {
			return listenNoneAddr(s.opts)
		}
		return nil
	}
	return s.ln.Addr()
}

func (s *epollServer) Listen() error {
	if s.opts.ListenNone {
		return s.listenNone()
	}
	ln, err := newListener(s.opts.Addr, s.opts.Listener, s.opts.ReusePort, s.opts.MaxConn, &s.stats, s.log)
	if err != nil {
		return err
	}
	s.ln = ln
	n := max(1, runtime.GOMAXPROCS(0)/2)
	for i := 0; i < n; i++ {
		l, err := s.newLoop()
		if err != nil {
			_ = ln.Close()
			return err
		}
		s.loops = append(s.loops, l)
	}
	// The first loop also accepts.
	return unix.EpollCtl(s.loops[0].epfd, unix.EPOLL_CTL_ADD, ln.fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(ln.fd)})
}

func (s *epollServer) newLoop() (*loop, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	wake, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		_ = unix.Close(epfd)
		return nil, err
	}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wake, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(wake)}); err != nil {
		return nil, err
	}
	l := &loop{s: s, epfd: epfd, wake: wake, buf: make([]byte, 64<<10), conns: make(map[int]*Conn)}
	l.beat = newLoopBeat(l, fmt.Sprintf("epoll loop %d", len(s.loops)))
	return l, nil
}

func (s *epollServer) Serve() error {
	var wg sync.WaitGroup
	for _, l := range s.loops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.run()
		}()
	}
	sw := &sweeper{opts: s.opts, log: s.log, stop: s.stopping, conns: s.snapshot, paused: s.pausedC, resume: s.resumeAccept, beat: s.sweeperBeat()}
	go sw.run()
	wg.Wait()
	close(s.done)
	return nil
}

func (s *epollServer) StopAccepting() {
	s.adoptStopped.Store(true)
	if f := s.fallback.Load(); f != nil {
		f.stopAdopting()
	}
	if s.ln == nil {
		return
	}
	s.acceptMu.Lock()
	s.stopped = true
	if !s.acceptOff {
		s.acceptOff = true
		_ = unix.EpollCtl(s.loops[0].epfd, unix.EPOLL_CTL_DEL, s.ln.fd, nil)
	}
	s.acceptMu.Unlock()
	_ = s.ln.Close()
}

// pauseAccept takes the listener out of the epoll set while AcceptPaused
// holds; the sweeper rechecks.
func (s *epollServer) pauseAccept() {
	s.acceptMu.Lock()
	if !s.acceptOff {
		s.acceptOff = true
		_ = unix.EpollCtl(s.loops[0].epfd, unix.EPOLL_CTL_DEL, s.ln.fd, nil)
	}
	s.acceptMu.Unlock()
	select {
	case s.pausedC <- struct{}{}:
	default:
	}
}

// resumeAccept puts the listener back once AcceptPaused clears; it reports
// whether there is nothing more to recheck.
func (s *epollServer) resumeAccept() bool {
	if s.opts.AcceptPaused() {
		return false
	}
	s.acceptMu.Lock()
	defer s.acceptMu.Unlock()
	if s.acceptOff && !s.stopped {
		s.acceptOff = false
		if err := unix.EpollCtl(s.loops[0].epfd, unix.EPOLL_CTL_ADD, s.ln.fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(s.ln.fd)}); err != nil {
			s.log.Error("epoll_ctl add listener failed", "error", err)
		}
	}
	return true
}

// snapshot appends every open connection to dst, taking each loop's lock
// in turn.
func (s *epollServer) snapshot(dst []*Conn) []*Conn {
	for _, l := range s.loops {
		l.mu.Lock()
		for _, c := range l.conns {
			dst = append(dst, c)
		}
		l.mu.Unlock()
	}
	return dst
}

// Shutdown closes every connection left and stops the loops.
func (s *epollServer) Shutdown(ctx context.Context) error {
	s.StopAccepting()
	for _, l := range s.loops {
		for _, c := range l.snapshot() {
			c.closeNow()
		}
	}
	select {
	case <-s.stopping:
	default:
		close(s.stopping)
	}
	for _, l := range s.loops {
		var one [8]byte
		one[0] = 1
		_, _ = unix.Write(l.wake, one[:])
	}
	if f := s.fallback.Load(); f != nil {
		_ = f.Shutdown(ctx)
	}
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *loop) snapshot() []*Conn {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]*Conn, 0, len(l.conns))
	for _, c := range l.conns {
		out = append(out, c)
	}
	return out
}

func (l *loop) run() {
	events := make([]unix.EpollEvent, 256)
	lnfd := -1
	if l.s.ln != nil && l == l.s.loops[0] {
		lnfd = l.s.ln.fd
	}
	for {
		n, err := unix.EpollWait(l.epfd, events, -1)
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			l.s.log.Error("epoll_wait failed", "error", err)
			return
		}
		l.beat.Tick()
		for i := 0; i < n; i++ {
			ev := &events[i]
			fd := int(ev.Fd)
			switch fd {
			case l.wake:
				l.drainWake()
				l.takeAdopted()
				select {
				case <-l.s.stopping:
					l.mu.Lock()
					l.exited = true
					_ = unix.Close(l.epfd)
					_ = unix.Close(l.wake)
					l.mu.Unlock()
					return
				default:
				}
				continue
			case lnfd:
				l.s.accept()
				continue
			}
			l.mu.Lock()
			c := l.conns[fd]
			l.mu.Unlock()
			if c == nil {
				continue
			}
			if ev.Events&unix.EPOLLOUT != 0 {
				l.writable(c)
			}
			if ev.Events&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
				l.readable(c)
			}
		}
	}
}

// accept takes every pending connection and spreads them over the loops.
func (s *epollServer) accept() {
	for {
		if s.opts.AcceptPaused != nil && s.opts.AcceptPaused() {
			s.pauseAccept()
			return
		}
		nc, err := s.ln.Accept()
		if err != nil {
			s.log.Error("accept failed", "error", err)
			return
		}
		if nc == nil {
			return
		}
		ac := nc.(*acceptedConn)
		l := s.loops[s.next%len(s.loops)]
		s.next++
		c := s.newConn(l, ac.fd, ac.remote)
		l.mu.Lock()
		l.conns[ac.fd] = c
		l.mu.Unlock()
		s.stats.active.Add(1)
		if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, ac.fd, &unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP, Fd: int32(ac.fd)}); err != nil {
			s.log.Error("epoll_ctl add failed", "error", err)
			c.closeNow()
		}
	}
}

// readable reads once (level-triggered: more comes with the next wait).
func (l *loop) readable(c *Conn) {
	st, closed := c.readState()
	if closed {
		return
	}
	if st == stateHeld {
		// EPOLLIN is off while a response is held: only a hang-up or an
		// error wakes us. The client is gone.
		c.closeNow()
		return
	}
	n, err := unix.Read(c.fd, l.buf)
	if n <= 0 {
		if err == unix.EAGAIN || err == unix.EINTR {
			return
		}
		// EOF or a reset: the peer is gone.
		c.closeNow()
		return
	}
	l.s.stats.bytesRecv.Add(uint64(n))
	data := l.buf[:n]
	if len(c.in) > 0 {
		c.in = append(c.in, data...)
		data = c.in
	}
	rest := l.process(c, data)
	if st, _ := c.readState(); st == stateWS {
		c.notePartial(rest != nil)
	}
	switch {
	case rest == nil:
		c.in = nil
	case len(c.in) == 0 || &rest[0] != &c.in[0]:
		// Keep the tail; the loop buffer is reused on the next read.
		c.in = append(make([]byte, 0, len(rest)+512), rest...)
	}
}

// process consumes complete heads, bodies and frames and returns what is
// left of data (nil when nothing is), or nil when the connection is done.
func (l *loop) process(c *Conn, data []byte) []byte {
	for {
		st, closed := c.readState()
		if closed {
			return nil
		}
		switch st {
		case stateBody:
			n := c.bodyLen()
			if len(data) < n {
				return data
			}
			body := data[:n]
			data = data[n:]
			if l.s.serveHeld(c, body, len(data) > 0) {
				return nil
			}
			continue // finished at once: the next request may follow
		case stateHeld:
			if len(data) > 0 {
				c.pipelined()
			}
			return nil
		}
		if len(data) == 0 {
			return nil
		}
		if st != stateWS {
			head, more := l.s.scanHead(c, data)
			if head == nil {
				if more {
					return data
				}
				return nil
			}
			if l.s.serveHead(c, head, func() { l.handOff(c, data) }) == headDone {
				return nil
			}
			data = data[len(head):]
			continue
		}
		if len(data) < 2 {
			return data
		}
		hlen := frames.HeaderSize(data[0], data[1])
		if len(data) < hlen {
			return data
		}
		h, ok := l.s.frameHeader(c, data[:hlen])
		if !ok {
			return nil
		}
		if int64(len(data)-hlen) < h.Length {
			return data
		}
		payload := data[hlen : hlen+int(h.Length)]
		data = data[hlen+int(h.Length):]
		if l.s.frameIn(c, h, payload) {
			return nil
		}
	}
}

// handOff gives a plain HTTP connection to fasthttp on its own goroutine,
// with the bytes already read in front of the socket.
func (l *loop) handOff(c *Conn, read []byte) {
	l.mu.Lock()
	delete(l.conns, c.fd)
	l.mu.Unlock()
	_ = unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, c.fd, nil)
	c.mu.Lock()
	c.closed = true // this Conn is done; the socket now belongs to net
	c.mu.Unlock()
	_ = unix.SetNonblock(c.fd, true)
	f := os.NewFile(uintptr(c.fd), "http")
	nc, err := net.FileConn(f)
	_ = f.Close()
	l.s.stats.active.Add(-1)
	if err != nil {
		l.s.ln.released()
		l.s.log.Debug("http hand-off failed", "error", err)
		return
	}
	pc := &prefixConn{Conn: nc, prefix: append([]byte(nil), read...)}
	go func() {
		l.s.serveHTTP(pc, c.remote)
		_ = nc.Close()
		// The socket counted against --max-conn until now, keep-alive
		// included.
		l.s.ln.released()
	}()
}

// prefixConn replays bytes read before the hand-off.
type prefixConn struct {
	net.Conn
	prefix []byte
}

func (p *prefixConn) Read(b []byte) (int, error) {
	if len(p.prefix) > 0 {
		n := copy(b, p.prefix)
		p.prefix = p.prefix[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}

// arm sets the socket's interest from the connection's state (called with
// c.mu held): EPOLLIN unless a response is held (then only a hang-up
// wakes the loop, and the client's next bytes wait in the kernel), and
// EPOLLOUT while output waits for the socket.
func (l *loop) arm(c *Conn) {
	ev := uint32(unix.EPOLLRDHUP)
	if c.state != stateHeld {
		ev |= unix.EPOLLIN
	}
	if c.flushing {
		ev |= unix.EPOLLOUT
	}
	_ = unix.EpollCtl(l.epfd, unix.EPOLL_CTL_MOD, c.fd, &unix.EpollEvent{Events: ev, Fd: int32(c.fd)})
}

// startFlush arms EPOLLOUT: the loop writes the queue when the socket
// drains.
func (l *loop) startFlush(c *Conn) {
	c.mu.Lock()
	if !c.closed && c.flushing {
		l.arm(c)
	}
	c.mu.Unlock()
}

// holdRead and resumeRead switch EPOLLIN off and on around a held
// response (called with c.mu held).
func (l *loop) holdRead(c *Conn)   { l.arm(c) }
func (l *loop) resumeRead(c *Conn) { l.arm(c) }

// writable writes as much of the queue as the socket takes.
func (l *loop) writable(c *Conn) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	for len(c.pending) > 0 {
		b := c.pending[0]
		n, err := unix.Write(c.fd, b)
		if n > 0 {
			c.stats.bytesSent.Add(uint64(n))
			c.pendingBytes -= n
		}
		if n == len(b) {
			c.pending[0] = nil
			c.pending = c.pending[1:]
			continue
		}
		if err != nil && err != unix.EAGAIN {
			c.mu.Unlock()
			c.stats.writeErrors.Add(1)
			c.closeNow()
			return
		}
		if n > 0 {
			c.pending[0] = b[n:]
		}
		c.flushSince = time.Now().UnixNano()
		c.mu.Unlock()
		return
	}
	c.pending = nil
	c.pendingBytes = 0
	c.flushing = false
	closeAfter := c.closeAfter
	if !closeAfter {
		l.arm(c)
	}
	c.mu.Unlock()
	if closeAfter {
		c.closeNow()
	}
}

// closeSocket closes the fd under the connection's lock, so a concurrent
// direct write can never reach a descriptor number the kernel reused.
func (l *loop) closeSocket(c *Conn) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.pending = nil
	c.pendingBytes = 0
	_ = unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, c.fd, nil)
	_ = unix.Close(c.fd)
	recv := c.listenerLocked()
	c.mu.Unlock()
	// Lock order: the loop's lock and a connection's are never held
	// together (the sweeper takes one after the other too), so a close
	// cannot deadlock against a sweep. The pointer check keeps a new
	// connection that already reuses the descriptor number.
	l.mu.Lock()
	if l.conns[c.fd] == c {
		delete(l.conns, c.fd)
	}
	l.mu.Unlock()
	l.s.stats.active.Add(-1)
	l.s.ln.released()
	if recv != nil {
		recv.OnClose()
	}
}
