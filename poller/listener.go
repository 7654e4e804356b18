package poller

import (
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// listener accepts for netpoll and handles the two ways accept can be
// refused: the open-file limit (EMFILE/ENFILE) and --max-conn. In both cases
// the pending connection is accepted and closed at once, so the client gets
// a clean close instead of hanging, and the loop never spins on an error it
// cannot clear. Refusals are logged at most once a second.
type listener struct {
	net.Listener
	fd      int
	maxConn int64
	// nodelayEach: TCP_NODELAY could not be set on the listening socket, so
	// accept sets it on each connection.
	nodelayEach bool
	open        atomic.Int64
	stats       *Stats
	log         *slog.Logger
	// paused (netpoll engine) makes Accept report a descriptor shortage
	// while it holds: netpoll then detaches the listener and retries with
	// back-off instead of spinning on a readable socket.
	paused func() bool
	// retrying (under pauseMu) is set while that retry loop runs. The loop ends
	// only when Accept returns (nil, nil), and then re-arms the descriptor
	// number in netpoll's epoll set: the socket must stay open until then,
	// or the number could be another socket's by the time it is re-armed.
	pauseMu   sync.Mutex
	retrying  bool
	closeLate bool // Close ran while retrying
	fdClosed  bool

	mu      sync.Mutex
	spare   int // a descriptor kept in reserve to accept-and-close under EMFILE
	lastLog time.Time
	closed  atomic.Bool
}

func newListener(addr string, inherited net.Listener, reusePort bool, maxConn int, stats *Stats, log *slog.Logger) (*listener, error) {
	ln, err := listenTCP(addr, inherited, reusePort)
	if err != nil {
		return nil, err
	}
	tl, ok := ln.(*net.TCPListener)
	if !ok {
		_ = ln.Close()
		return nil, fmt.Errorf("poller: %s is not a TCP listener", addr)
	}
	raw, err := tl.SyscallConn()
	if err != nil {
		_ = ln.Close()
		return nil, err
	}
	var fd int
	if err := raw.Control(func(f uintptr) { fd = int(f) }); err != nil {
		_ = ln.Close()
		return nil, err
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		_ = ln.Close()
		return nil, err
	}
	l := &listener{Listener: ln, fd: fd, maxConn: int64(maxConn), stats: stats, log: log, spare: -1}
	// Small messages must not wait for Nagle's algorithm. Linux copies
	// TCP_NODELAY from the listening socket to each accepted one, which
	// saves a setsockopt per connection; only if that fails is it set on
	// each.
	l.nodelayEach = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1) != nil
	l.spare, _ = unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	return l, nil
}

// Fd is required by netpoll.Listener.
func (l *listener) Fd() int { return l.fd }

// Close closes the listening socket (and the spare descriptor).
func (l *listener) Close() error {
	l.closed.Store(true)
	l.mu.Lock()
	if l.spare >= 0 {
		_ = unix.Close(l.spare)
		l.spare = -1
	}
	l.mu.Unlock()
	l.pauseMu.Lock()
	defer l.pauseMu.Unlock()
	if l.fdClosed {
		return nil
	}
	if l.retrying {
		l.closeLate = true // closed by Accept once the retry loop is over
		return nil
	}
	l.fdClosed = true
	return l.Listener.Close()
}

func (l *listener) released() {
	if l != nil { // nil: a server with no listener (Options.ListenNone)
		l.open.Add(-1)
	}
}

// Accept returns (nil, nil) when there is nothing (more) to accept, as
// netpoll expects.
func (l *listener) Accept() (net.Conn, error) {
	if l.paused == nil {
		return l.accept()
	}
	l.pauseMu.Lock()
	defer l.pauseMu.Unlock()
	if l.closed.Load() {
		if l.retrying {
			// Ends netpoll's retry loop; it re-arms the socket, still open.
			l.retrying = false
			return nil, nil
		}
		if l.closeLate && !l.fdClosed {
			// Called on readiness, so re-armed already: closing the socket
			// takes it out of netpoll's epoll set.
			l.fdClosed = true
			_ = l.Listener.Close()
		}
		return nil, nil
	}
	if l.paused() {
		l.retrying = true
		return nil, syscall.EMFILE
	}
	c, err := l.accept()
	if c == nil && err == nil {
		l.retrying = false
	}
	return c, err
}

func (l *listener) accept() (net.Conn, error) {
	nfd, sa, err := unix.Accept4(l.fd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
	if err != nil {
		switch err {
		case unix.EAGAIN, unix.EINTR, unix.ECONNABORTED:
			return nil, nil
		case unix.EMFILE, unix.ENFILE:
			l.refuseOverLimit()
			return nil, nil
		}
		if l.closed.Load() {
			return nil, nil
		}
		return nil, err
	}
	if l.maxConn > 0 && l.open.Load() >= l.maxConn {
		// Count before closing: whoever sees the close sees the count.
		l.refused("max-conn reached")
		_ = unix.Close(nfd)
		return nil, nil
	}
	if l.nodelayEach {
		_ = unix.SetsockoptInt(nfd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	}
	l.open.Add(1)
	l.stats.accepted.Add(1)
	return &acceptedConn{fd: nfd, local: l.Addr(), remote: sockaddrToTCP(sa)}, nil
}

// refuseOverLimit frees the spare descriptor to accept one pending
// connection, closes it, and takes the spare back.
func (l *listener) refuseOverLimit() {
	l.mu.Lock()
	if l.spare >= 0 {
		_ = unix.Close(l.spare)
		if nfd, _, err := unix.Accept4(l.fd, unix.SOCK_CLOEXEC); err == nil {
			_ = unix.Close(nfd)
		}
		l.spare, _ = unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	}
	l.mu.Unlock()
	l.refused("open file limit reached")
}

func (l *listener) refused(why string) {
	l.stats.refused.Add(1)
	l.mu.Lock()
	now := time.Now()
	if now.Sub(l.lastLog) >= time.Second {
		l.lastLog = now
		l.mu.Unlock()
		l.log.Warn("Refusing new connections: "+why, "refused_total", l.stats.refused.Load())
		return
	}
	l.mu.Unlock()
}

func sockaddrToTCP(sa unix.Sockaddr) net.Addr {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return &net.TCPAddr{IP: net.IP(append([]byte(nil), a.Addr[:]...)), Port: a.Port}
	case *unix.SockaddrInet6:
		return &net.TCPAddr{IP: net.IP(append([]byte(nil), a.Addr[:]...)), Port: a.Port}
	}
	return &net.TCPAddr{}
}

// acceptedConn is the minimal netpoll.Conn netpoll wraps into its connection;
// netpoll only uses Fd and the addresses.
type acceptedConn struct {
	fd            int
	local, remote net.Addr
}

func (c *acceptedConn) Fd() int                          { return c.fd }
func (c *acceptedConn) Read([]byte) (int, error)         { return 0, syscall.EINVAL }
func (c *acceptedConn) Write([]byte) (int, error)        { return 0, syscall.EINVAL }
func (c *acceptedConn) Close() error                     { return unix.Close(c.fd) }
func (c *acceptedConn) LocalAddr() net.Addr              { return c.local }
func (c *acceptedConn) RemoteAddr() net.Addr             { return c.remote }
func (c *acceptedConn) SetDeadline(time.Time) error      { return nil }
func (c *acceptedConn) SetReadDeadline(time.Time) error  { return nil }
func (c *acceptedConn) SetWriteDeadline(time.Time) error { return nil }
