package backoff

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/densecable/densecable/broker/brokertest"
)

// Keep returns after a failed first attempt (logged once as unavailable),
// retries in the background, logs a loss once, and stops when runCtx ends.
func TestKeepStartsRetriesAndStops(t *testing.T) {
	log, logs := brokertest.NewLogger()
	l := NewLink(Policy{Min: time.Millisecond, Max: time.Millisecond, Log: log, What: "Redis"})
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	calls := make(chan int, 100)
	n := 0
	l.Keep(context.Background(), runCtx, "Redis", done, func(ready func()) error {
		n++
		calls <- n
		switch {
		case n == 1:
			return errors.New("refused") // the first attempt fails
		case n == 2:
			l.Up()
			ready()
			return errors.New("reset") // up, then lost
		case n < 5:
			return errors.New("refused")
		}
		<-runCtx.Done()
		return runCtx.Err()
	})
	if got := logs.Count("Redis is unavailable, retrying in the background"); got != 1 {
		t.Fatalf("failed start logged %d times, want 1", got)
	}
	for want := 1; want <= 5; want++ {
		select {
		case got := <-calls:
			if got != want {
				t.Fatalf("attempt %d, want %d", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("attempt %d never came", want)
		}
	}
	stop()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the loop did not end with runCtx")
	}
	if got := logs.Count("Redis connection lost"); got != 1 {
		t.Fatalf("loss logged %d times, want 1", got)
	}
	if got := logs.Count("Redis reconnect failed"); got != 3 {
		t.Fatalf("failed reconnects logged %d times, want 3 (first attempt, then 2 after the loss)", got)
	}
}

// Keep returns as soon as the first attempt is ready, while that attempt
// still holds its connection.
func TestKeepReturnsOnceReady(t *testing.T) {
	l := NewLink(Policy{})
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	l.Keep(context.Background(), runCtx, "Redis", done, func(ready func()) error {
		ready()
		<-runCtx.Done()
		return nil
	})
	select {
	case <-done:
		t.Fatal("loop ended while its connection was up")
	default:
	}
	stop()
	<-done
}
