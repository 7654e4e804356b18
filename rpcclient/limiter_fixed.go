package rpcclient

import (
	"context"
	"strconv"
)

// fixedLimiter is a plain semaphore of rpc_concurrency permits.
type fixedLimiter struct {
	slots chan struct{}
}

func newFixedLimiter(n int) *fixedLimiter {
	return &fixedLimiter{slots: make(chan struct{}, n)}
}

func (l *fixedLimiter) acquire(ctx context.Context) (ticket, error) {
	select {
	case l.slots <- struct{}{}:
		return ticket{}, nil
	default:
	}
	select {
	case l.slots <- struct{}{}:
		return ticket{}, nil
	case <-ctx.Done():
		return ticket{}, ctx.Err()
	}
}

func (l *fixedLimiter) release(ticket, outcome) { <-l.slots }

func (l *fixedLimiter) capacity() int    { return cap(l.slots) }
func (l *fixedLimiter) inUse() int       { return len(l.slots) }
func (l *fixedLimiter) describe() string { return strconv.Itoa(cap(l.slots)) }
