package rpcclient

import "context"

// outcome is what one attempt told the limiter about the RPC server.
type outcome uint8

const (
	outcomeNeutral   outcome = iota // no signal (canceled, returned unused)
	outcomeOK                       // the server answered
	outcomeExhausted                // ResourceExhausted: over the server's capacity
)

// ticket is a held permit; epoch lets the adaptive limiter ignore overload
// signals from calls started before its last decrease.
type ticket struct{ epoch uint64 }

// limiter bounds the number of RPC attempts in flight.
type limiter interface {
	// acquire blocks until a permit is free or ctx is done.
	acquire(ctx context.Context) (ticket, error)
	// release returns a permit with what the attempt learned.
	release(t ticket, o outcome)
	// capacity is the current limit.
	capacity() int
	// inUse is the number of permits held.
	inUse() int
	// describe is the concurrency part of the start-up log line.
	describe() string
}
