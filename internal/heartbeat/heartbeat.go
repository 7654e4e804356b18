// Package heartbeat lets a watchdog see that the server's long-lived loops
// (epoll loops, the sweeper, the ping scheduler) still go round. Each loop
// owns a Beat: it calls Tick every time round, and answers Wake by going
// round once even when it has nothing else to do, so an idle loop proves it
// is alive as well as a busy one. A Beat costs one atomic add per round.
package heartbeat

import "sync/atomic"

// Beat is one loop's progress counter.
type Beat struct {
	name  string
	ticks atomic.Uint64
	wake  func()
	c     chan struct{}
}

// New returns a beat whose loop is woken by wake (which must not block).
func New(name string, wake func()) *Beat {
	return &Beat{name: name, wake: wake}
}

// NewChan returns a beat for a loop that selects on C: Wake sends on it
// without blocking.
func NewChan(name string) *Beat {
	b := &Beat{name: name, c: make(chan struct{}, 1)}
	b.wake = func() {
		select {
		case b.c <- struct{}{}:
		default: // a wake is pending already
		}
	}
	return b
}

// Name says which loop this is (for the log line when it stalls).
func (b *Beat) Name() string { return b.name }

// Tick records one round of the loop; only the loop calls it.
func (b *Beat) Tick() { b.ticks.Add(1) }

// Count is the number of rounds so far.
func (b *Beat) Count() uint64 { return b.ticks.Load() }

// Wake asks the loop to go round once soon; it never blocks.
func (b *Beat) Wake() { b.wake() }

// C is the channel a NewChan beat's loop selects on (nil otherwise).
func (b *Beat) C() <-chan struct{} { return b.c }
