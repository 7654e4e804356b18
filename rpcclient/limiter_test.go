package rpcclient

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestFixedLimiterBlocksAtCapacity(t *testing.T) {
	l := newFixedLimiter(2)
	ctx := context.Background()
	t1, _ := l.acquire(ctx)
	t2, _ := l.acquire(ctx)
	if l.inUse() != 2 || l.capacity() != 2 || l.describe() != "2" {
		t.Fatalf("inUse=%d capacity=%d describe=%q", l.inUse(), l.capacity(), l.describe())
	}
	short, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := l.acquire(short); !errors.Is(err, context.Canceled) {
		t.Fatalf("full limiter with canceled ctx: %v", err)
	}
	l.release(t1, outcomeOK)
	if _, err := l.acquire(short); err != nil {
		// A free slot is taken even with a done ctx; the caller checks ctx.
		t.Fatalf("free slot: %v", err)
	}
	l.release(t2, outcomeOK)
}

// queueWaiters starts n goroutines blocked in acquire and waits until they
// are all queued; the returned channel yields their tickets.
func queueWaiters(t *testing.T, l *adaptiveLimiter, n int) <-chan ticket {
	t.Helper()
	got := make(chan ticket, n)
	for range n {
		go func() {
			tk, err := l.acquire(context.Background())
			if err != nil {
				t.Errorf("acquire: %v", err)
			}
			got <- tk
		}()
	}
	waitFor(t, func() bool { return l.waitersLen() == n })
	return got
}

func (l *adaptiveLimiter) waitersLen() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.waiters.Len()
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestAdaptiveShrinksOncePerEpoch(t *testing.T) {
	l := newAdaptiveLimiter(12, 2, 20)
	ctx := context.Background()
	old := make([]ticket, 12)
	for i := range old {
		old[i], _ = l.acquire(ctx)
	}
	l.release(old[0], outcomeExhausted)
	if l.capacity() != 9 { // 12 - 12/4
		t.Fatalf("capacity %d, want 9", l.capacity())
	}
	// More overload answers from calls admitted under the old limit say
	// nothing new.
	for _, tk := range old[1:6] {
		l.release(tk, outcomeExhausted)
	}
	if l.capacity() != 9 {
		t.Fatalf("stale overload signals shrank the limit to %d", l.capacity())
	}
	for _, tk := range old[6:] {
		l.release(tk, outcomeOK)
	}
	// A call admitted after the decrease that is still rejected shrinks again.
	fresh, _ := l.acquire(ctx)
	l.release(fresh, outcomeExhausted)
	if l.capacity() != 7 { // 9 - 9/4
		t.Fatalf("capacity %d, want 7", l.capacity())
	}
	// Never below min.
	for range 10 {
		tk, _ := l.acquire(ctx)
		l.release(tk, outcomeExhausted)
	}
	if l.capacity() != 2 {
		t.Fatalf("capacity %d, want min 2", l.capacity())
	}
	if l.inUse() != 0 {
		t.Fatalf("permits leaked: %d", l.inUse())
	}
}

func TestAdaptiveGrowsWhileCallersWait(t *testing.T) {
	l := newAdaptiveLimiter(4, 1, 5)
	ctx := context.Background()
	held := make([]ticket, 4)
	for i := range held {
		held[i], _ = l.acquire(ctx)
	}
	granted := queueWaiters(t, l, 5)

	// Each success with callers waiting counts; `limit` of them grow the
	// limit by one, and every freed permit goes to the next waiter.
	for i, tk := range held {
		l.release(tk, outcomeOK)
		want := 4
		if i == 3 {
			want = 5
		}
		if l.capacity() != want {
			t.Fatalf("after %d successes capacity=%d, want %d", i+1, l.capacity(), want)
		}
	}
	if l.inUse() != 5 || l.waitersLen() != 0 {
		t.Fatalf("inUse=%d waiters=%d, want 5/0", l.inUse(), l.waitersLen())
	}
	for range 5 {
		l.release(<-granted, outcomeOK)
	}
	// No waiters: successes do not grow the limit, and max caps it anyway.
	if l.capacity() != 5 || l.inUse() != 0 {
		t.Fatalf("capacity=%d inUse=%d", l.capacity(), l.inUse())
	}
}

func TestAdaptiveDoesNotGrowWithoutDemand(t *testing.T) {
	l := newAdaptiveLimiter(3, 1, 10)
	for range 50 {
		tk, _ := l.acquire(context.Background())
		l.release(tk, outcomeOK)
	}
	if l.capacity() != 3 {
		t.Fatalf("capacity grew to %d without waiting callers", l.capacity())
	}
}

func TestAdaptiveCanceledWaiterLeavesQueue(t *testing.T) {
	l := newAdaptiveLimiter(1, 1, 1)
	tk, _ := l.acquire(context.Background())

	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := l.acquire(ctx)
		errc <- err
	}()
	waitFor(t, func() bool { return l.waitersLen() == 1 })
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("acquire err = %v", err)
	}
	if l.waitersLen() != 0 {
		t.Fatal("canceled waiter still queued")
	}
	l.release(tk, outcomeOK)
	if l.inUse() != 0 {
		t.Fatalf("permit handed to a canceled waiter: inUse=%d", l.inUse())
	}
	if _, err := l.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestAdaptiveFIFO(t *testing.T) {
	l := newAdaptiveLimiter(1, 1, 1)
	first, _ := l.acquire(context.Background())
	order := make(chan int, 3)
	for i := range 3 {
		go func() {
			tk, _ := l.acquire(context.Background())
			order <- i
			l.release(tk, outcomeNeutral)
		}()
		waitFor(t, func() bool { return l.waitersLen() == i+1 })
	}
	l.release(first, outcomeNeutral)
	for want := range 3 {
		if got := <-order; got != want {
			t.Fatalf("waiter %d served at position %d", got, want)
		}
	}
}

func TestAdaptiveDescribe(t *testing.T) {
	if got := newAdaptiveLimiter(25, 5, 100).describe(); got != "auto (initial=25, min=5, max=100)" {
		t.Fatalf("describe = %q", got)
	}
}
