package backoff

import (
	"context"
	"sync"
	"time"
)

// Link tracks a connection's ups and downs for a reconnect loop, so a loss
// is logged once (not at every failed retry) and retries back off. Up may be
// called from another goroutine than Down and Wait (a client library's
// subscription hook).
type Link struct {
	mu     sync.Mutex
	bo     Backoff
	lost   bool // the link is down; it starts down
	everUp bool
	delay  time.Duration
}

// NewLink returns a Link that is down and has never been up.
func NewLink(minDelay, maxDelay time.Duration) *Link {
	return &Link{bo: Backoff{Min: minDelay, Max: maxDelay}, lost: true}
}

// Up records a (re)connection and reports whether it ends a loss (false for
// the very first connection).
func (l *Link) Up() (recovered bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	recovered = l.lost && l.everUp
	l.lost, l.everUp = false, true
	l.bo.Reset()
	return recovered
}

// Down records a failure. wasUp is true for the first failure after being
// up (a failure before the first connection is not a loss); attempts counts
// failures in a row. It also picks the delay for Wait.
func (l *Link) Down() (wasUp bool, attempts int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	wasUp = !l.lost
	l.lost = true
	l.delay = l.bo.Next()
	return wasUp, l.bo.Attempts()
}

// Wait sleeps for the delay chosen by the last Down, or until ctx is done;
// it reports whether to go on.
func (l *Link) Wait(ctx context.Context) bool {
	l.mu.Lock()
	d := l.delay
	l.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
