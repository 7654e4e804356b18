package backoff

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Keep is the one start/retry/reconnect skeleton of the components that
// hold a connection of their own (the Redis broadcasters and the Redis
// pub/sub). It runs Keep's loop on a new goroutine until runCtx is done
// (closing done when it ends) and returns once the first attempt is ready or
// has failed, or when ctx is done; a failed start is logged and retried in
// the background.
//
// attempt holds one connection until it breaks: it calls ready once the
// connection is usable (it may do so from another goroutine), and returns
// why it ended. After each failure the loss is logged once at WARN (name+"
// connection lost"), later failures at DEBUG (name+" reconnect failed"), and
// the loop waits out the back-off.
func (l *Link) Keep(ctx, runCtx context.Context, name string, done chan<- struct{}, attempt func(ready func()) error) {
	first := make(chan error, 1)
	var once sync.Once
	report := func(err error) { once.Do(func() { first <- err }) }
	ready := func() { report(nil) }
	go func() {
		defer close(done)
		for runCtx.Err() == nil {
			err := attempt(ready)
			if runCtx.Err() != nil {
				return
			}
			report(err)
			if wasUp, attempts := l.Down(); wasUp {
				l.p.Log.Warn(name+" connection lost", "error", err)
			} else {
				l.p.Log.Debug(name+" reconnect failed", "error", err, "attempt", attempts)
			}
			if !l.Wait(runCtx) {
				return
			}
		}
	}()
	select {
	case err := <-first:
		if err != nil {
			l.p.Log.Warn(l.p.What+" is unavailable, retrying in the background", "error", err)
		}
	case <-ctx.Done():
	}
}

// Sleep waits for d, or until ctx is done; it reports whether to go on.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Stopped waits until done is closed (a component's goroutines have ended)
// or ctx is done; then the error names what did not stop in time.
func Stopped(ctx context.Context, done <-chan struct{}, what string) error {
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s shutdown: %w", what, ctx.Err())
	}
}
