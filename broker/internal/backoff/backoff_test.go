package backoff

import (
	"context"
	"testing"
	"time"
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
	l := NewLink(time.Millisecond, time.Millisecond)
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
	l := NewLink(time.Hour, time.Hour)
	l.Down()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if l.Wait(ctx) {
		t.Fatal("Wait went on after cancel")
	}
}
