package swarm

import (
	"golang.org/x/sys/unix"

	"github.com/densecable/densecable/bench/internal/wsframe"
)

// send writes one masked client frame.
func (l *loopState) send(s *Swarm, idx int, op byte, payload []byte) {
	l.rng ^= l.rng << 13
	l.rng ^= l.rng >> 7
	l.rng ^= l.rng << 17
	key := [4]byte{byte(l.rng), byte(l.rng >> 8), byte(l.rng >> 16), byte(l.rng >> 24)}
	compress := l.cfg.DeflateCommands && op < 8 // data frames only
	if compress {
		payload = l.deflater.compress(payload)
	}
	l.outBuf = wsframe.AppendFrame(l.outBuf[:0], op, payload, key)
	if compress {
		l.outBuf[0] |= 0x40 // RSV1: compressed
	}
	l.write(s, idx, l.outBuf)
}

// write sends b, keeping whatever the socket does not take for later.
func (l *loopState) write(s *Swarm, idx int, b []byte) {
	c := &l.conns[idx]
	if c.state == stClosed {
		return
	}
	if ex := l.extra[int32(idx)]; ex != nil && len(ex.out) > 0 {
		ex.out = append(ex.out, b...)
		return
	}
	n, err := unix.Write(int(c.fd), b)
	if err != nil && err != unix.EAGAIN && err != unix.EINTR {
		l.drop(s, idx, "write: "+err.Error())
		return
	}
	n = max(n, 0)
	if n == len(b) {
		return
	}
	ex := l.extra[int32(idx)]
	if ex == nil {
		ex = &extra{}
		l.extra[int32(idx)] = ex
	}
	ex.out = append(ex.out, b[n:]...)
	l.watchWritable(s, idx, true)
}

// flush retries pending output when the socket becomes writable.
func (l *loopState) flush(s *Swarm, idx int) {
	c := &l.conns[idx]
	ex := l.extra[int32(idx)]
	if ex == nil || len(ex.out) == 0 {
		l.watchWritable(s, idx, false)
		return
	}
	n, err := unix.Write(int(c.fd), ex.out)
	if err != nil && err != unix.EAGAIN && err != unix.EINTR {
		l.drop(s, idx, "write: "+err.Error())
		return
	}
	n = max(n, 0)
	ex.out = ex.out[:copy(ex.out, ex.out[n:])]
	if len(ex.out) == 0 {
		ex.out = nil
		l.watchWritable(s, idx, false)
		l.dropExtraIfEmpty(idx, ex)
	}
}

func (l *loopState) watchWritable(s *Swarm, idx int, on bool) {
	c := &l.conns[idx]
	ev := uint32(unix.EPOLLIN | unix.EPOLLRDHUP)
	if on {
		ev |= unix.EPOLLOUT
	}
	if err := unix.EpollCtl(s.epfd, unix.EPOLL_CTL_MOD, int(c.fd), &unix.EpollEvent{Events: ev, Fd: c.fd}); err != nil {
		l.drop(s, idx, "epoll_ctl: "+err.Error())
	}
}
