// Package periodic runs a broker's background chore (the memory and Redis
// brokers' sweepers) at a fixed interval, from Start to Stop.
package periodic

import (
	"context"
	"sync"
	"time"
)

// Task is a chore run every interval on its own goroutine. The zero value
// is stopped; a Task is safe for concurrent use.
type Task struct {
	mu         sync.Mutex
	stop, done chan struct{}
}

// Start runs first (when not nil) and then, on a new goroutine, tick every
// interval until Stop. While running, Start does nothing; a concurrent
// Start waits for first to return.
func (t *Task) Start(interval time.Duration, first, tick func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stop != nil {
		return
	}
	if first != nil {
		first()
	}
	t.stop, t.done = make(chan struct{}), make(chan struct{})
	go run(interval, tick, t.stop, t.done)
}

func run(interval time.Duration, tick func(), stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	tk := time.NewTicker(interval)
	defer tk.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tk.C:
			tick()
		}
	}
}

// Stop ends the task and waits for a tick in progress, or for ctx (then it
// returns ctx's error). Stopping a stopped task does nothing.
func (t *Task) Stop(ctx context.Context) error {
	t.mu.Lock()
	stop, done := t.stop, t.done
	t.stop, t.done = nil, nil
	t.mu.Unlock()
	if stop == nil {
		return nil
	}
	close(stop)
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
