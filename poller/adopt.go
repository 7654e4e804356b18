package poller

import (
	"errors"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Adoption: a connection another server accepted (a net/http server that
// embeds densecable hijacks it) is handed to the poller with the bytes
// already read from it in front (the request head, rebuilt, and whatever
// that server had buffered after it). From there it is served exactly as
// an accepted one: head routing, upgrade, held requests, frames.
//
// On the epoll engine a plain TCP socket moves to an event loop: its
// descriptor is duplicated, the Go-managed original closed, and the loop
// owns the copy, so an idle adopted connection costs its Conn and no
// goroutine, as an accepted one. Anything else (a *tls.Conn from an HTTPS
// server, a wrapped or in-memory connection) has no readable descriptor an
// epoll loop could use: it is served by the goroutine-per-connection path
// of the TLS engine (std_engine.go). The netpoll engine does not adopt.

// ErrAdoptClosed is Adopt's error once the server stopped accepting (the
// connection is closed).
var ErrAdoptClosed = errors.New("poller: server is not accepting connections")

// errAdoptNetpoll: netpoll owns its descriptors through its own listener.
var errAdoptNetpoll = errors.New("poller: the netpoll engine cannot adopt connections (use epoll)")

// errAdoptFull is returned when --max-conn is reached (the connection is
// closed).
var errAdoptFull = errors.New("poller: max-conn reached")

// adoptedAddr is Addr of a server with no listener (Options.ListenNone):
// log lines name it instead of a bound address.
type adoptedAddr string

func (adoptedAddr) Network() string  { return "adopted" }
func (a adoptedAddr) String() string { return string(a) }

func listenNoneAddr(Options) net.Addr { return adoptedAddr("embedded") }

// listenNone makes the loops of a server that only adopts.
func (s *epollServer) listenNone() error {
	n := max(1, runtime.GOMAXPROCS(0)/2)
	for i := 0; i < n; i++ {
		l, err := s.newLoop()
		if err != nil {
			return err
		}
		s.loops = append(s.loops, l)
	}
	return nil
}

// Adopt serves nc, accepted elsewhere, with read (bytes already taken from
// it) in front. See the comment at the top of this file.
func (s *epollServer) Adopt(nc net.Conn, read []byte) error {
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return s.fallbackServer().Adopt(nc, read)
	}
	if s.adoptStopped.Load() || len(s.loops) == 0 {
		_ = nc.Close()
		return ErrAdoptClosed
	}
	if s.ln != nil && s.ln.maxConn > 0 && s.ln.open.Load() >= s.ln.maxConn ||
		s.ln == nil && s.opts.MaxConn > 0 && s.stats.active.Load() >= int64(s.opts.MaxConn) {
		s.stats.refused.Add(1)
		_ = nc.Close()
		return errAdoptFull
	}
	fd, err := dupSocket(tc)
	remote := tc.RemoteAddr()
	// The loop owns the copy; closing Go's descriptor takes it out of the
	// runtime's poller and leaves the socket open.
	_ = tc.Close()
	if err != nil {
		return err
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		_ = unix.Close(fd)
		return err
	}
	if s.ln != nil {
		s.ln.open.Add(1) // released on close like an accepted socket
	}
	l := s.loops[int(s.adoptNext.Add(1))%len(s.loops)]
	c := s.newConn(l, fd, remote)
	c.in = append([]byte(nil), read...)
	s.stats.accepted.Add(1)
	s.stats.active.Add(1)
	l.mu.Lock()
	l.adopted = append(l.adopted, c)
	l.mu.Unlock()
	var one [8]byte
	one[0] = 1
	_, _ = unix.Write(l.wake, one[:])
	return nil
}

// takeAdopted runs on the loop's goroutine (woken by Adopt): it registers
// the adopted connections and serves the bytes they came with, so that
// every read of a connection stays on its loop.
func (l *loop) takeAdopted() {
	l.mu.Lock()
	list := l.adopted
	l.adopted = nil
	for _, c := range list {
		l.conns[c.fd] = c
	}
	l.mu.Unlock()
	for _, c := range list {
		if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, c.fd, &unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP, Fd: int32(c.fd)}); err != nil {
			l.s.log.Error("epoll_ctl add failed", "error", err)
			c.closeNow()
			continue
		}
		if l.s.adoptStopped.Load() {
			// Shutdown may have looked at the loop's connections before
			// this one was in them.
			c.closeNow()
			continue
		}
		data := c.in
		c.in = nil
		rest := l.process(c, data)
		if st, _ := c.readState(); st == stateWS {
			c.notePartial(rest != nil)
		}
		c.in = rest // a tail of the private copy Adopt made
	}
}

// dupSocket returns a close-on-exec duplicate of tc's descriptor.
func dupSocket(tc *net.TCPConn) (int, error) {
	raw, err := tc.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	var dupErr error
	if err := raw.Control(func(f uintptr) {
		fd, dupErr = unix.FcntlInt(f, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return -1, err
	}
	return fd, dupErr
}

// fallbackServer is the TLS engine's path for adopted connections that are
// not plain TCP sockets; made on first use.
func (s *epollServer) fallbackServer() *stdServer {
	s.fallbackOnce.Do(func() {
		o := s.opts
		o.TLS = nil // what arrives is already decrypted by its net.Conn
		o.ListenNone = true
		f := newStdServer(o, s.handler, s.http, s.log)
		s.fallback.Store(f)
		if s.adoptStopped.Load() {
			f.StopAccepting() // StopAccepting ran while it was being made
		}
	})
	return s.fallback.Load()
}

// Adopt serves nc on its own goroutine, with read in front.
func (s *stdServer) Adopt(nc net.Conn, read []byte) error {
	// net/http leaves its deadlines on a hijacked connection; the engine
	// sets its own.
	_ = nc.SetDeadline(time.Time{})
	s.mu.Lock()
	if s.adoptStopped {
		s.mu.Unlock()
		_ = nc.Close()
		return ErrAdoptClosed
	}
	if s.opts.MaxConn > 0 && s.sockets >= s.opts.MaxConn {
		s.mu.Unlock()
		s.stats.refused.Add(1)
		_ = nc.Close()
		return errAdoptFull
	}
	c := s.newConn(&stdIO{nc: nc, s: s}, -1, nc.RemoteAddr())
	s.conns[c] = struct{}{}
	s.sockets++
	s.wg.Add(1)
	s.mu.Unlock()
	s.sweepOnce.Do(func() {
		if s.ln == nil {
			// No accept loop runs Serve's sweeper here.
			go (&sweeper{opts: s.opts, log: s.log, stop: s.stop, conns: s.snapshot}).run()
		}
	})
	s.stats.accepted.Add(1)
	s.stats.active.Add(1)
	go s.serveConn(c, &prefixConn{Conn: nc, prefix: append([]byte(nil), read...)})
	return nil
}

// stopAdopting refuses later adoptions (StopAccepting).
func (s *stdServer) stopAdopting() {
	s.mu.Lock()
	s.adoptStopped = true
	s.mu.Unlock()
}

// Adopt is not available on netpoll: its connections come from its own
// listener only.
func (s *netpollServer) Adopt(nc net.Conn, _ []byte) error {
	_ = nc.Close()
	return errAdoptNetpoll
}

// adoptState is the epoll engine's adoption bookkeeping.
type adoptState struct {
	adoptStopped atomic.Bool
	adoptNext    atomic.Uint32
	fallbackOnce sync.Once
	fallback     atomic.Pointer[stdServer]
}

// Stats adds the counters of the connections served by the fallback path
// (adopted TLS and other non-TCP connections) to the loops': a user reads
// one server.
func (s *epollServer) Stats() StatsSnapshot {
	st := s.engine.Stats()
	if f := s.fallback.Load(); f != nil {
		o := f.Stats()
		st.Accepted += o.Accepted
		st.Refused += o.Refused
		st.Active += o.Active
		st.BytesSent += o.BytesSent
		st.BytesRecv += o.BytesRecv
		st.WriteErrors += o.WriteErrors
	}
	return st
}
