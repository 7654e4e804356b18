package swarm

import (
	"golang.org/x/sys/unix"
)

// maxDialsPerTurn keeps the loop responsive while opening connections.
const maxDialsPerTurn = 128

// openMore starts as many connections as the target, the rate and the
// pending-handshake bound allow.
func (l *loopState) openMore(s *Swarm, now int64) {
	if l.st.Started >= l.target {
		return
	}
	budget := min(l.target-l.st.Started, maxDialsPerTurn)
	if l.maxPending > 0 {
		budget = min(budget, l.maxPending-l.pending)
	}
	if l.rate > 0 {
		l.tokens += float64(now-l.lastTick) / 1e9 * l.rate
		l.tokens = min(l.tokens, max(1, l.rate/20)) // at most 50 ms of burst
		l.lastTick = now
		budget = min(budget, int(l.tokens))
		l.tokens -= float64(max(budget, 0))
	}
	for range budget {
		l.dial(s, now)
	}
}

// dial starts one non-blocking connect.
func (l *loopState) dial(s *Swarm, now int64) {
	idx := len(l.conns)
	l.st.Started++
	l.pending++
	if l.st.FirstStart == 0 {
		l.st.FirstStart = now
	}
	l.conns = append(l.conns, conn{fd: -1, state: stConnecting, start: now})
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		l.fail(s, idx, "socket: "+err.Error())
		return
	}
	l.conns[idx].fd = int32(fd)
	if fd >= len(l.byFD) {
		grown := make([]int32, max(fd+1, 2*len(l.byFD)))
		copy(grown, l.byFD)
		l.byFD = grown
	}
	l.byFD[fd] = int32(idx + 1)

	if n := len(l.cfg.SourceIPs); n > 0 {
		// Let connect() pick the port for the full 4-tuple instead of
		// reserving one at bind time: each source address then offers the
		// whole ephemeral range to every destination.
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1)
		src := l.cfg.SourceIPs[(l.cfg.Base+idx)%n].As4()
		if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: src}); err != nil {
			l.fail(s, idx, "bind: "+err.Error())
			return
		}
	}
	_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	if err := unix.Connect(fd, &s.sa); err != nil && err != unix.EINPROGRESS {
		l.fail(s, idx, "connect: "+err.Error())
		return
	}
	// Writable means connected (or failed: SO_ERROR tells).
	if err := unix.EpollCtl(s.epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLOUT, Fd: int32(fd)}); err != nil {
		l.fail(s, idx, "epoll_ctl: "+err.Error())
	}
}

// fail closes a connection that never subscribed.
func (l *loopState) fail(s *Swarm, idx int, reason string) {
	c := &l.conns[idx]
	if c.state >= stReady {
		l.drop(s, idx, reason)
		return
	}
	l.closeConn(idx)
	l.pending--
	l.st.Failed++
	l.st.Errors[reason]++
	if l.cfg.OnClose != nil {
		l.cfg.OnClose(l.cfg.Base+idx, reason)
	}
}

// drop closes a subscribed connection (the server closed it, or an error).
func (l *loopState) drop(s *Swarm, idx int, reason string) {
	c := &l.conns[idx]
	if c.state == stClosed {
		return
	}
	if c.state < stReady {
		l.fail(s, idx, reason)
		return
	}
	l.closeConn(idx)
	l.st.Alive--
	l.st.Dropped++
	l.st.Errors[reason]++
	if l.cfg.OnClose != nil {
		l.cfg.OnClose(l.cfg.Base+idx, reason)
	}
}

func (l *loopState) closeConn(idx int) {
	c := &l.conns[idx]
	if c.fd >= 0 {
		l.byFD[c.fd] = 0
		unix.Close(int(c.fd)) // also removes it from the epoll set
		delete(l.extra, int32(idx))
	}
	c.state = stClosed
}
