package backoff

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/densecable/densecable/broker"
)

// Policy is how a reconnect loop paces itself and when it reports itself
// unhealthy. The zero value retries from DefaultMin to DefaultMax and never
// reports.
type Policy struct {
	// Min and Max bound the back-off (zero: DefaultMin, DefaultMax).
	Min, Max time.Duration
	// UnhealthyAfter is the number of failures in a row after which the
	// link reports itself unhealthy (max_reconnect_attempts; 0: never). It
	// keeps retrying at Max and reports healthy again when it reconnects.
	UnhealthyAfter int
	// Health receives the state (may be nil).
	Health *broker.Health
	// Log and What (the dependency, "Redis" or "NATS") are for the lines
	// logged when the state changes.
	Log  *slog.Logger
	What string
}

// Link tracks a connection's ups and downs for a reconnect loop, so a loss
// is logged once (not at every failed retry), retries back off, and the
// component's health follows the failures. Up may be called from another
// goroutine than Down and Wait (a client library's subscription hook).
type Link struct {
	p         Policy
	mu        sync.Mutex
	bo        Backoff
	lost      bool // the link is down; it starts down
	everUp    bool
	unhealthy bool
	delay     time.Duration
}

// NewLink returns a Link that is down and has never been up.
func NewLink(p Policy) *Link {
	if p.Min <= 0 {
		p.Min = DefaultMin
	}
	if p.Max <= 0 {
		p.Max = DefaultMax
	}
	p.Max = max(p.Max, p.Min)
	if p.Log == nil {
		p.Log = slog.New(slog.DiscardHandler)
	}
	return &Link{p: p, bo: Backoff{Min: p.Min, Max: p.Max}, lost: true}
}

// Up records a (re)connection and reports whether it ends a loss (false for
// the very first connection).
func (l *Link) Up() (recovered bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	recovered = l.lost && l.everUp
	l.lost, l.everUp = false, true
	l.bo.Reset()
	if l.unhealthy {
		l.unhealthy = false
		l.p.Health.Set(true)
		l.p.Log.Info(l.p.What + " is reachable again, reporting healthy")
	}
	return recovered
}

// Down records a failure. wasUp is true for the first failure after being
// up (a failure before the first connection is not a loss); attempts counts
// failures in a row. It also picks the delay for Wait, and reports the link
// unhealthy once attempts reach Policy.UnhealthyAfter.
func (l *Link) Down() (wasUp bool, attempts int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	wasUp = !l.lost
	l.lost = true
	l.delay = l.bo.Next()
	attempts = l.bo.Attempts()
	if n := l.p.UnhealthyAfter; n > 0 && attempts >= n && !l.unhealthy {
		l.unhealthy = true
		l.p.Health.Set(false)
		l.p.Log.Warn(l.p.What+" reconnect attempts exceeded, reporting unhealthy and retrying",
			"attempts", attempts, "retry_every", l.p.Max)
	}
	return wasUp, attempts
}

// Healthy is false from the UnhealthyAfter-th failure in a row to the next
// Up.
func (l *Link) Healthy() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return !l.unhealthy
}

// Delay is the wait chosen by the last Down.
func (l *Link) Delay() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.delay
}

// Wait sleeps for the delay chosen by the last Down, or until ctx is done;
// it reports whether to go on.
func (l *Link) Wait(ctx context.Context) bool { return Sleep(ctx, l.Delay()) }
