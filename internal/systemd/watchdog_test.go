package systemd

import (
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/densecable/densecable/internal/heartbeat"
	"github.com/densecable/densecable/internal/systemd/systemdtest"
)

func TestWatchdogInterval(t *testing.T) {
	cases := []struct {
		usec, pid string
		want      time.Duration
		err       bool
	}{
		{"", "", 0, false},
		{"400000", "", 200 * time.Millisecond, false},
		{"400000", "42", 200 * time.Millisecond, false},
		{"400000", "43", 0, false}, // another process's watchdog
		{"0", "", 0, true},
		{"-5", "", 0, true},
		{"1e6", "", 0, true},
		{"400000", "x", 0, true},
	}
	for _, c := range cases {
		got, err := WatchdogInterval(env("WATCHDOG_USEC", c.usec, "WATCHDOG_PID", c.pid), 42)
		if got != c.want || (err != nil) != c.err {
			t.Errorf("WATCHDOG_USEC=%q WATCHDOG_PID=%q: %v, %v; want %v (error %v)", c.usec, c.pid, got, err, c.want, c.err)
		}
	}
}

// loop is a test loop that answers wakes, as an idle event loop does,
// unless it is stalled.
type loop struct {
	beat    *heartbeat.Beat
	stalled atomic.Bool
	stop    chan struct{}
}

func startLoop(t *testing.T, name string) *loop {
	l := &loop{beat: heartbeat.NewChan(name), stop: make(chan struct{})}
	go func() {
		for {
			select {
			case <-l.stop:
				return
			case <-l.beat.C():
				if !l.stalled.Load() {
					l.beat.Tick()
				}
			}
		}
	}()
	t.Cleanup(func() { close(l.stop) })
	return l
}

// Idle loops that answer their wake-ups keep the pings going at half the
// timeout; one stalled loop stops them, and they resume when it recovers.
func TestWatchdogPingsOnlyWhileEveryLoopProgresses(t *testing.T) {
	sock := systemdtest.Listen(t, false)
	n, err := NewNotifier(env("NOTIFY_SOCKET", sock.Addr))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	every, err := WatchdogInterval(env("WATCHDOG_USEC", "400000"), 1)
	if err != nil {
		t.Fatal(err)
	}
	a, b := startLoop(t, "loop a"), startLoop(t, "sweeper")
	start := time.Now()
	w := StartWatchdog(n, every, []*heartbeat.Beat{a.beat, b.beat}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer w.Stop()

	// Cadence: five pings take at least 4 intervals (ticker), and well
	// under a generous bound on a loaded machine.
	ping := systemdtest.Has("WATCHDOG", "1")
	if !sock.WaitCount(start, 5, 20*time.Second, ping) {
		t.Fatalf("fewer than 5 pings in 20 s: %v", sock.Messages())
	}
	if el := time.Since(start); el < 4*every {
		t.Fatalf("5 pings after %v: faster than every %v", el, every)
	}

	b.stalled.Store(true)
	// A ping already decided may still arrive: wait two intervals, then
	// count over five more.
	time.Sleep(2 * every)
	stalledAt := time.Now()
	time.Sleep(5 * every)
	if got := sock.Count(stalledAt, ping); got != 0 {
		t.Fatalf("%d pings while a loop was stalled", got)
	}

	b.stalled.Store(false)
	resumed := time.Now()
	if !sock.WaitCount(resumed, 2, 20*time.Second, ping) {
		t.Fatal("pings did not resume after the loop recovered")
	}
	w.Stop()
	stopped := time.Now()
	time.Sleep(3 * every)
	if got := sock.Count(stopped, ping); got != 0 {
		t.Fatalf("%d pings after Stop", got)
	}
}
