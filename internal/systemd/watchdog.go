package systemd

import (
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/densecable/densecable/internal/heartbeat"
)

// WatchdogInterval reads $WATCHDOG_USEC (the timeout WatchdogSec= sets) and
// $WATCHDOG_PID, and returns how often to ping: half the timeout, as
// sd_watchdog_enabled(3) advises. It returns 0 when there is no watchdog,
// or when it is meant for another process (WATCHDOG_PID names another pid).
func WatchdogInterval(getenv func(string) string, pid int) (time.Duration, error) {
	usec := getenv("WATCHDOG_USEC")
	if usec == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(usec, 10, 64)
	if err != nil || n == 0 || n > uint64(365*24*time.Hour/time.Microsecond) {
		return 0, fmt.Errorf("WATCHDOG_USEC=%q: not a timeout in microseconds", usec)
	}
	if p := getenv("WATCHDOG_PID"); p != "" {
		wp, err := strconv.Atoi(p)
		if err != nil || wp <= 0 {
			return 0, fmt.Errorf("WATCHDOG_PID=%q: not a pid", p)
		}
		if wp != pid {
			return 0, nil
		}
	}
	return time.Duration(n) * time.Microsecond / 2, nil
}

// Watchdog sends WATCHDOG=1 every interval, but only when every beat (each
// event loop, the sweeper, the ping scheduler) went round since the last
// ping: a stalled loop stops the pings and systemd restarts the service.
// After each check it wakes every beat, so an idle loop answers before the
// next check.
type Watchdog struct {
	n     *Notifier
	every time.Duration
	beats []*heartbeat.Beat
	log   *slog.Logger

	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
}

// StartWatchdog starts the pinging goroutine (stop it with Stop).
func StartWatchdog(n *Notifier, every time.Duration, beats []*heartbeat.Beat, log *slog.Logger) *Watchdog {
	w := &Watchdog{n: n, every: every, beats: beats, log: log, stop: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	return w
}

// Stop ends the pings (at STOPPING=1: systemd no longer watches then) and
// waits for the goroutine.
func (w *Watchdog) Stop() {
	if w == nil {
		return
	}
	w.stopOnce.Do(func() { close(w.stop) })
	<-w.done
}

func (w *Watchdog) run() {
	defer close(w.done)
	last := make([]uint64, len(w.beats))
	w.record(last)
	w.wakeAll()
	t := time.NewTicker(w.every)
	defer t.Stop()
	stalled := ""
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
		}
		if s := w.stalled(last); s != "" {
			if stalled == "" {
				w.log.Warn("Withholding the systemd watchdog ping: a loop made no progress", "loop", s, "interval", w.every)
			}
			stalled = s
		} else {
			if stalled != "" {
				w.log.Info("Loops make progress again; systemd watchdog pings resume")
				stalled = ""
			}
			if err := w.n.Send("WATCHDOG=1"); err != nil {
				w.log.Debug("systemd watchdog ping failed", "error", err)
			}
			w.record(last)
		}
		w.wakeAll()
	}
}

func (w *Watchdog) wakeAll() {
	for _, b := range w.beats {
		b.Wake()
	}
}

// record copies every beat's count into last.
func (w *Watchdog) record(last []uint64) {
	for i, b := range w.beats {
		last[i] = b.Count()
	}
}

// stalled names the first beat that has not moved since last ("" if none).
func (w *Watchdog) stalled(last []uint64) string {
	for i, b := range w.beats {
		if b.Count() == last[i] {
			return b.Name()
		}
	}
	return ""
}
