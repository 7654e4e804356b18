package rpcclient

import (
	"testing"
	"time"

	"google.golang.org/grpc/codes"
)

func TestBackoffDoublesAndResetsOnCodeChange(t *testing.T) {
	var b backoff
	steps := []struct {
		code codes.Code
		want time.Duration
	}{
		{codes.ResourceExhausted, 10 * time.Millisecond},
		{codes.ResourceExhausted, 20 * time.Millisecond},
		{codes.ResourceExhausted, 40 * time.Millisecond},
		{codes.Unavailable, 100 * time.Millisecond}, // code changed: restart
		{codes.Unavailable, 200 * time.Millisecond},
		{codes.ResourceExhausted, 10 * time.Millisecond},
		{codes.Unavailable, 100 * time.Millisecond},
	}
	for i, s := range steps {
		if got := b.next(s.code); got != s.want {
			t.Fatalf("step %d (%v): delay %v, want %v", i, s.code, got, s.want)
		}
	}
}

func TestBackoffDoesNotOverflow(t *testing.T) {
	var b backoff
	var last time.Duration
	for range 100 {
		d := b.next(codes.Unavailable)
		if d < last || d <= 0 {
			t.Fatalf("delay went from %v to %v", last, d)
		}
		last = d
	}
}

func TestRetryableCodes(t *testing.T) {
	for c := codes.OK; c <= codes.Unauthenticated; c++ {
		want := c == codes.ResourceExhausted || c == codes.Unavailable
		if retryable(c) != want {
			t.Errorf("retryable(%v) = %v", c, !want)
		}
	}
}
