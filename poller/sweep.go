package poller

import (
	"log/slog"
	"time"

	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/internal/heartbeat"
)

// sweeper enforces every connection's timeouts from one goroutine per
// server, once per SweepInterval: no timer and no goroutine per connection.
// It also resumes a paused accept (epoll engine).
type sweeper struct {
	opts Options
	log  *slog.Logger
	stop <-chan struct{}
	// conns appends the server's open connections to dst.
	conns func(dst []*Conn) []*Conn
	// paused signals that accepting stopped; resume is then called every
	// acceptRecheck until it reports that accepting is back on.
	paused <-chan struct{}
	resume func() bool
	// beat proves to the systemd watchdog that this goroutine goes round.
	beat *heartbeat.Beat
}

func (sw *sweeper) run() {
	every := sw.opts.SweepInterval
	if every <= 0 {
		every = time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	var recheck *time.Ticker
	var recheckC <-chan time.Time
	defer func() {
		if recheck != nil {
			recheck.Stop()
		}
	}()
	var all []*Conn
	var wake <-chan struct{}
	if sw.beat != nil {
		wake = sw.beat.C()
	}
	for {
		select {
		case <-sw.stop:
			return
		case <-wake:
			sw.beat.Tick()
		case <-sw.paused:
			if recheck == nil {
				recheck = time.NewTicker(acceptRecheck)
				recheckC = recheck.C
			}
		case <-recheckC:
			if sw.resume() {
				recheck.Stop()
				recheck, recheckC = nil, nil
			}
		case now := <-t.C:
			if sw.beat != nil {
				sw.beat.Tick()
			}
			all = sw.conns(all[:0])
			for _, c := range all {
				// Each connection is checked under its own lock only, never
				// under a registry's (see closeSocket).
				switch c.expired(now, sw.opts) {
				case expiredHandshake:
					sw.log.Debug("handshake timed out", "remote", c.remote)
					c.closeNow()
				case expiredWrite:
					sw.log.Debug("write timed out", "remote", c.remote)
					c.closeNow()
				case expiredFrame:
					sw.log.Debug("websocket frame timed out", "remote", c.remote, "timeout", sw.opts.FrameTimeout)
					c.Close(frames.ClosePolicyViolation, "")
				}
			}
			clear(all)
		}
	}
}
