package poller

import (
	"net"

	"golang.org/x/sys/unix"

	"github.com/densecable/densecable/internal/heartbeat"
)

// Heartbeats are the loops this server runs itself, for the systemd
// watchdog: every epoll loop and the sweeper. netpoll's pollers and the TLS
// engine's readers belong to netpoll and net; only their sweeper is here.
func (s *epollServer) Heartbeats() []*heartbeat.Beat {
	out := []*heartbeat.Beat{s.sweeperBeat()}
	for _, l := range s.loops {
		out = append(out, l.beat)
	}
	return out
}

func (s *netpollServer) Heartbeats() []*heartbeat.Beat { return []*heartbeat.Beat{s.sweeperBeat()} }

func (s *stdServer) Heartbeats() []*heartbeat.Beat { return []*heartbeat.Beat{s.sweeperBeat()} }

// sweeperBeat is created on first use: Heartbeats and Serve (which starts
// the sweeper) may run on different goroutines.
func (e *engine) sweeperBeat() *heartbeat.Beat {
	e.beatOnce.Do(func() { e.sweepBeat = heartbeat.NewChan("sweeper") })
	return e.sweepBeat
}

// newLoopBeat wakes the loop through its eventfd; the loop drains it and
// counts the round (run). Once the loop closed its descriptors the wake is
// dropped: the number may belong to another file by then.
func newLoopBeat(l *loop, name string) *heartbeat.Beat {
	return heartbeat.New(name, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.exited {
			return
		}
		var one [8]byte
		one[0] = 1
		_, _ = unix.Write(l.wake, one[:]) // EAGAIN: a wake is pending already
	})
}

// drainWake empties the loop's eventfd, so that level-triggered epoll stops
// reporting it.
func (l *loop) drainWake() {
	var b [8]byte
	_, _ = unix.Read(l.wake, b[:])
}

// listenTCP binds addr, or uses the listener systemd passed (socket
// activation) when there is one.
func listenTCP(addr string, inherited net.Listener, reusePort bool) (net.Listener, error) {
	if inherited != nil {
		return inherited, nil
	}
	return ListenTCP(addr, reusePort)
}
