package rpcclient

import (
	"errors"
	"sync"
	"time"
)

// ErrBreakerOpen is returned by the HTTP transport while its circuit breaker
// is open. It is not a gRPC status, so the client does not retry it.
var ErrBreakerOpen = errors.New("http rpc is temporarily unavailable")

// Breaker settings (as in anycable-go's HTTP RPC): trip when at least
// breakerMinRequests requests in a breakerWindow have a failure ratio of at
// least breakerTripRatio; stay open breakerOpenFor, then let breakerProbes
// requests through; all of them succeeding closes the breaker again.
const (
	breakerMinRequests = 10
	breakerTripRatio   = 0.8
	breakerWindow      = 10 * time.Second
	breakerOpenFor     = 5 * time.Second
	breakerProbes      = 5
)

type breakerState uint8

const (
	breakerClosed breakerState = iota
	breakerOpen
	breakerHalfOpen
)

func (s breakerState) String() string {
	switch s {
	case breakerOpen:
		return "open"
	case breakerHalfOpen:
		return "half-open"
	default:
		return "closed"
	}
}

// breaker is a small circuit breaker counting network-level failures only.
// A generation number ties each admitted request to the state it was
// admitted in, so late results from an earlier state are ignored.
type breaker struct {
	mu          sync.Mutex
	now         func() time.Time
	onChange    func(from, to breakerState)
	state       breakerState
	generation  uint64
	windowStart time.Time // closed: start of the counting window
	openedAt    time.Time
	requests    int // closed: admitted in window; half-open: probes admitted
	failures    int // closed: failures in window
	successes   int // half-open: successful probes
}

func newBreaker(now func() time.Time, onChange func(from, to breakerState)) *breaker {
	if now == nil {
		now = time.Now
	}
	b := &breaker{now: now, onChange: onChange}
	b.windowStart = now()
	return b
}

// allow admits a request, returning its generation, or ErrBreakerOpen.
func (b *breaker) allow() (uint64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	b.advance(now)
	switch b.state {
	case breakerOpen:
		return 0, ErrBreakerOpen
	case breakerHalfOpen:
		if b.requests >= breakerProbes {
			return 0, ErrBreakerOpen
		}
	}
	b.requests++
	return b.generation, nil
}

// done records the result of a request admitted in generation gen.
func (b *breaker) done(gen uint64, success bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	b.advance(now)
	if gen != b.generation {
		return
	}
	switch b.state {
	case breakerClosed:
		if success {
			return
		}
		b.failures++
		if b.requests >= breakerMinRequests && float64(b.failures)/float64(b.requests) >= breakerTripRatio {
			b.setState(breakerOpen, now)
		}
	case breakerHalfOpen:
		if !success {
			b.setState(breakerOpen, now)
			return
		}
		b.successes++
		if b.successes >= breakerProbes {
			b.setState(breakerClosed, now)
		}
	}
}

// current returns the state (for tests and logs).
func (b *breaker) current() breakerState {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.advance(b.now())
	return b.state
}

// advance applies the time-driven transitions: window roll-over while
// closed, open → half-open after breakerOpenFor.
func (b *breaker) advance(now time.Time) {
	switch b.state {
	case breakerClosed:
		if now.Sub(b.windowStart) >= breakerWindow {
			b.newGeneration(now)
		}
	case breakerOpen:
		if now.Sub(b.openedAt) >= breakerOpenFor {
			b.setState(breakerHalfOpen, now)
		}
	}
}

func (b *breaker) setState(to breakerState, now time.Time) {
	from := b.state
	b.state = to
	if to == breakerOpen {
		b.openedAt = now
	}
	b.newGeneration(now)
	if b.onChange != nil && from != to {
		b.onChange(from, to)
	}
}

func (b *breaker) newGeneration(now time.Time) {
	b.generation++
	b.windowStart = now
	b.requests, b.failures, b.successes = 0, 0, 0
}
