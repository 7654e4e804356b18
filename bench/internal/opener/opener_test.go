package opener

import (
	"errors"
	"net"
	"sync/atomic"
	"testing"
)

// Every dial runs once, no more than parallel at a time, and failures are
// counted, not kept.
func TestOpenBoundsAndCounts(t *testing.T) {
	var inFlight, most, calls atomic.Int64
	r := Open(50, 4, false, func(i int) (net.Conn, error) {
		calls.Add(1)
		n := inFlight.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		defer inFlight.Add(-1)
		if i%10 == 0 {
			return nil, errors.New("refused")
		}
		a, b := net.Pipe()
		_ = b.Close()
		return a, nil
	})
	defer r.Close()
	if calls.Load() != 50 || len(r.Conns) != 45 || r.Failed != 5 || r.FirstErr == nil {
		t.Fatalf("calls %d, conns %d, failed %d, err %v; want 50, 45, 5, an error", calls.Load(), len(r.Conns), r.Failed, r.FirstErr)
	}
	if most.Load() > 4 {
		t.Fatalf("%d dials at once, want at most 4", most.Load())
	}
}

// With stopOnError, dialling stops soon after the first failure.
func TestOpenStopsOnError(t *testing.T) {
	var calls atomic.Int64
	r := Open(1000, 1, true, func(i int) (net.Conn, error) {
		calls.Add(1)
		if i == 3 {
			return nil, errors.New("refused")
		}
		a, b := net.Pipe()
		_ = b.Close()
		return a, nil
	})
	defer r.Close()
	if calls.Load() != 4 || r.Failed != 1 || len(r.Conns) != 3 {
		t.Fatalf("calls %d, failed %d, conns %d; want 4, 1, 3", calls.Load(), r.Failed, len(r.Conns))
	}
}
