package rpcclient

import (
	"container/list"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
)

// adaptiveLimiter adjusts its limit to the RPC servers' capacity (AIMD):
//
//   - a ResourceExhausted answer shrinks the limit by a quarter (at least 1,
//     not below min). Only the first such answer per epoch counts: calls
//     started before the last decrease were admitted under the old, too
//     high limit, so their errors say nothing new. Shrinking wins over
//     growing.
//   - while callers are waiting for a permit, every `limit` successful
//     answers grow the limit by one (not above max): demand exceeds the
//     limit and the servers keep up.
//
// Waiters are served in FIFO order.
type adaptiveLimiter struct {
	lo, hi  int
	initial int

	mu        sync.Mutex
	limit     int
	held      int
	epoch     uint64
	successes int        // successes with waiters since the last change
	waiters   *list.List // of *waiter

	limitGauge atomic.Int64 // mirror of limit for lock-free reads
	heldGauge  atomic.Int64
}

type waiter struct {
	ready   chan struct{}
	granted bool // set under mu before ready is closed
	epoch   uint64
}

func newAdaptiveLimiter(initial, lo, hi int) *adaptiveLimiter {
	l := &adaptiveLimiter{lo: lo, hi: hi, initial: initial, limit: initial, waiters: list.New()}
	l.limitGauge.Store(int64(initial))
	return l
}

func (l *adaptiveLimiter) acquire(ctx context.Context) (ticket, error) {
	l.mu.Lock()
	if l.held < l.limit && l.waiters.Len() == 0 {
		l.setHeld(l.held + 1)
		t := ticket{epoch: l.epoch}
		l.mu.Unlock()
		return t, nil
	}
	w := &waiter{ready: make(chan struct{})}
	elem := l.waiters.PushBack(w)
	l.mu.Unlock()

	select {
	case <-w.ready:
		return ticket{epoch: w.epoch}, nil
	case <-ctx.Done():
		l.mu.Lock()
		if w.granted {
			// Granted while we were giving up: hand the permit on.
			l.mu.Unlock()
			l.release(ticket{epoch: w.epoch}, outcomeNeutral)
			return ticket{}, ctx.Err()
		}
		l.waiters.Remove(elem)
		l.mu.Unlock()
		return ticket{}, ctx.Err()
	}
}

func (l *adaptiveLimiter) release(t ticket, o outcome) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.setHeld(l.held - 1)

	switch o {
	case outcomeExhausted:
		if t.epoch == l.epoch {
			l.setLimit(l.limit - max(1, l.limit/4))
			l.epoch++
			l.successes = 0
		}
	case outcomeOK:
		if l.waiters.Len() > 0 && l.limit < l.hi {
			l.successes++
			if l.successes >= l.limit {
				l.setLimit(l.limit + 1)
				l.successes = 0
			}
		}
	}
	l.grant()
}

// grant hands free permits to waiters in arrival order. Called with mu held.
func (l *adaptiveLimiter) grant() {
	for l.held < l.limit {
		front := l.waiters.Front()
		if front == nil {
			return
		}
		l.waiters.Remove(front)
		w := front.Value.(*waiter)
		w.granted = true
		w.epoch = l.epoch
		l.setHeld(l.held + 1)
		close(w.ready)
	}
}

func (l *adaptiveLimiter) setLimit(n int) {
	l.limit = min(max(n, l.lo), l.hi)
	l.limitGauge.Store(int64(l.limit))
}

func (l *adaptiveLimiter) setHeld(n int) {
	l.held = n
	l.heldGauge.Store(int64(n))
}

func (l *adaptiveLimiter) capacity() int { return int(l.limitGauge.Load()) }
func (l *adaptiveLimiter) inUse() int    { return int(l.heldGauge.Load()) }

func (l *adaptiveLimiter) describe() string {
	return fmt.Sprintf("auto (initial=%d, min=%d, max=%d)", l.initial, l.lo, l.hi)
}
