package backoff

import (
	"context"
	"testing"
	"time"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/broker/brokertest"
)

func TestNextGrowsWithinBoundsAndResets(t *testing.T) {
	b := Backoff{Min: 100 * time.Millisecond, Max: time.Second}
	ceilings := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i, c := range ceilings {
		ceil := c * time.Millisecond
		d := b.Next()
		if d < ceil/2 || d > ceil {
			t.Fatalf("attempt %d: %s not in [%s, %s]", i, d, ceil/2, ceil)
		}
	}
	if b.Attempts() != len(ceilings) {
		t.Fatalf("attempts = %d", b.Attempts())
	}
	b.Reset()
	if d := b.Next(); d > 100*time.Millisecond {
		t.Fatalf("after reset: %s", d)
	}
}

func TestLinkLogsLossOnce(t *testing.T) {
	l := NewLink(Policy{Min: time.Millisecond, Max: time.Millisecond})
	if wasUp, n := l.Down(); wasUp || n != 1 {
		t.Fatalf("failure before the first connection: wasUp=%v attempts=%d", wasUp, n)
	}
	if l.Up() {
		t.Fatal("first connection reported as a recovery")
	}
	if wasUp, n := l.Down(); !wasUp || n != 1 {
		t.Fatalf("first loss: wasUp=%v attempts=%d", wasUp, n)
	}
	if wasUp, n := l.Down(); wasUp || n != 2 {
		t.Fatalf("second failure: wasUp=%v attempts=%d", wasUp, n)
	}
	if !l.Up() {
		t.Fatal("reconnection not reported as a recovery")
	}
}

func TestLinkWaitStopsOnCancel(t *testing.T) {
	l := NewLink(Policy{Min: time.Hour, Max: time.Hour})
	l.Down()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if l.Wait(ctx) {
		t.Fatal("Wait went on after cancel")
	}
}

// The default pacing starts near a second and never waits more than five.
func TestLinkDefaultsFromOneToFiveSeconds(t *testing.T) {
	l := NewLink(Policy{})
	l.Down()
	if d := l.Delay(); d < 500*time.Millisecond || d > time.Second {
		t.Fatalf("first delay %s, want within [0.5 s, 1 s]", d)
	}
	for range 20 {
		l.Down()
		if d := l.Delay(); d > 5*time.Second {
			t.Fatalf("delay %s over the 5 s cap", d)
		}
	}
}

// After UnhealthyAfter failures in a row the link reports itself unhealthy
// once (one WARN), keeps going, and is healthy again at the next Up.
func TestLinkReportsUnhealthyAfterAttemptsAndRecovers(t *testing.T) {
	log, logs := brokertest.NewLogger()
	h := &broker.Health{}
	l := NewLink(Policy{Min: time.Millisecond, Max: time.Millisecond, UnhealthyAfter: 3, Health: h, Log: log, What: "Redis"})
	l.Up()
	for i := 1; i <= 2; i++ {
		l.Down()
		if !h.Healthy() || !l.Healthy() {
			t.Fatalf("unhealthy after %d failures, want 3", i)
		}
	}
	for range 5 {
		l.Down()
		if h.Healthy() || l.Healthy() {
			t.Fatal("still healthy after 3 failures")
		}
	}
	if n := logs.Count("Redis reconnect attempts exceeded, reporting unhealthy and retrying"); n != 1 {
		t.Fatalf("unhealthy logged %d times, want 1", n)
	}
	if !l.Up() || !h.Healthy() || !l.Healthy() {
		t.Fatal("not healthy after reconnecting")
	}
	if n := logs.Count("Redis is reachable again, reporting healthy"); n != 1 {
		t.Fatalf("recovery logged %d times, want 1", n)
	}
}
