// Package backoff spaces out reconnect attempts: exponential with full
// jitter, capped, reset after a success.
package backoff

import (
	"math/rand/v2"
	"time"
)

// Every Redis and NATS reconnect loop waits from DefaultMin, doubling, up to
// DefaultMax: a dependency that comes back is used again within DefaultMax.
const (
	DefaultMin = time.Second
	DefaultMax = 5 * time.Second
)

// Backoff is not safe for concurrent use; each reconnect loop owns one.
type Backoff struct {
	Min, Max time.Duration
	attempt  int
}

// Attempts is the number of consecutive failures so far.
func (b *Backoff) Attempts() int { return b.attempt }

// Reset forgets past failures.
func (b *Backoff) Reset() { b.attempt = 0 }

// Next records a failure and returns how long to wait before retrying:
// a random duration in [d/2, d] where d doubles from Min up to Max.
func (b *Backoff) Next() time.Duration {
	d := b.Min
	for i := 0; i < b.attempt && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	b.attempt++
	half := d / 2
	return half + rand.N(half+1)
}
