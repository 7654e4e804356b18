package rpcclient

import (
	"errors"
	"testing"
	"time"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }
func newFakeClock() *fakeClock           { return &fakeClock{t: time.Unix(1_700_000_000, 0)} }
func mustAllow(t *testing.T, b *breaker) uint64 {
	t.Helper()
	gen, err := b.allow()
	if err != nil {
		t.Fatalf("allow: %v (state %v)", err, b.current())
	}
	return gen
}

func TestBreakerTripsAtTenRequestsWithEightyPercentFailures(t *testing.T) {
	clk := newFakeClock()
	var changes []string
	b := newBreaker(clk.now, func(from, to breakerState) { changes = append(changes, from.String()+"->"+to.String()) })

	// 2 successes + 7 failures = 9 requests: not enough requests yet.
	for range 2 {
		b.done(mustAllow(t, b), true)
	}
	for range 7 {
		b.done(mustAllow(t, b), false)
	}
	if b.current() != breakerClosed {
		t.Fatal("must not trip below 10 requests")
	}
	// 10th request fails: 8/10 = 0.8 → open.
	b.done(mustAllow(t, b), false)
	if b.current() != breakerOpen {
		t.Fatalf("state %v, want open", b.current())
	}
	if _, err := b.allow(); !errors.Is(err, ErrBreakerOpen) {
		t.Fatalf("open breaker must reject, got %v", err)
	}
	if len(changes) != 1 || changes[0] != "closed->open" {
		t.Fatalf("state changes %v", changes)
	}
}

func TestBreakerStaysClosedBelowRatio(t *testing.T) {
	clk := newFakeClock()
	b := newBreaker(clk.now, nil)
	for range 3 {
		b.done(mustAllow(t, b), true)
	}
	for range 7 {
		b.done(mustAllow(t, b), false) // 7/10 < 0.8
	}
	if b.current() != breakerClosed {
		t.Fatal("70% failures must not trip")
	}
}

func TestBreakerWindowResetsCounts(t *testing.T) {
	clk := newFakeClock()
	b := newBreaker(clk.now, nil)
	for range 9 {
		b.done(mustAllow(t, b), false)
	}
	clk.add(breakerWindow) // new window: the 9 failures are forgotten
	b.done(mustAllow(t, b), false)
	if b.current() != breakerClosed {
		t.Fatal("failures from an old window must not count")
	}
}

func TestBreakerHalfOpenProbes(t *testing.T) {
	clk := newFakeClock()
	b := newBreaker(clk.now, nil)
	trip := func() {
		for range breakerMinRequests {
			b.done(mustAllow(t, b), false)
		}
		if b.current() != breakerOpen {
			t.Fatal("expected open")
		}
	}
	trip()

	clk.add(breakerOpenFor - time.Millisecond)
	if _, err := b.allow(); err == nil {
		t.Fatal("must stay open for 5 s")
	}
	clk.add(time.Millisecond)
	if b.current() != breakerHalfOpen {
		t.Fatalf("state %v, want half-open", b.current())
	}

	// Five probes are admitted, the sixth is not.
	gens := make([]uint64, 0, breakerProbes)
	for range breakerProbes {
		gens = append(gens, mustAllow(t, b))
	}
	if _, err := b.allow(); !errors.Is(err, ErrBreakerOpen) {
		t.Fatal("only 5 probes may pass while half-open")
	}
	for _, g := range gens {
		b.done(g, true)
	}
	if b.current() != breakerClosed {
		t.Fatalf("5 successful probes must close, state %v", b.current())
	}

	// A failed probe reopens.
	trip()
	clk.add(breakerOpenFor)
	g := mustAllow(t, b)
	b.done(g, false)
	if b.current() != breakerOpen {
		t.Fatal("a failed probe must reopen")
	}
}

func TestBreakerIgnoresResultsFromOldGeneration(t *testing.T) {
	clk := newFakeClock()
	b := newBreaker(clk.now, nil)
	stale := mustAllow(t, b) // still in flight: counts as a request
	for range breakerMinRequests - 1 {
		b.done(mustAllow(t, b), false)
	}
	if b.current() != breakerOpen {
		t.Fatal("9 failures of 10 requests must trip")
	}
	clk.add(breakerOpenFor)
	probe := mustAllow(t, b) // half-open
	b.done(stale, false)     // admitted while closed: ignored
	if b.current() != breakerHalfOpen {
		t.Fatalf("stale failure changed the state to %v", b.current())
	}
	b.done(probe, true)
}
