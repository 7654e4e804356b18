// Package brokertest holds test helpers for code that feeds a broker.Handler.
package brokertest

import (
	"sync"
	"testing"
	"time"

	"github.com/densecable/densecable/broker"
)

// Recorder is a broker.Handler (and FallibleHandler) that keeps what it gets
// and lets tests wait for it. Set Fail to make TryBroadcast report an error.
type Recorder struct {
	mu       sync.Mutex
	pubs     []broker.Publication
	cmds     []broker.RemoteCommand
	fail     error
	notifyCh chan struct{}
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder {
	return &Recorder{notifyCh: make(chan struct{}, 1)}
}

// SetFail makes TryBroadcast return err (nil to succeed again).
func (r *Recorder) SetFail(err error) {
	r.mu.Lock()
	r.fail = err
	r.mu.Unlock()
}

func (r *Recorder) HandleBroadcast(p *broker.Publication) {
	r.mu.Lock()
	r.pubs = append(r.pubs, *p)
	r.mu.Unlock()
	r.notify()
}

func (r *Recorder) TryBroadcast(p *broker.Publication) error {
	r.mu.Lock()
	err := r.fail
	r.mu.Unlock()
	if err != nil {
		return err
	}
	r.HandleBroadcast(p)
	return nil
}

func (r *Recorder) HandleCommand(c *broker.RemoteCommand) {
	r.mu.Lock()
	r.cmds = append(r.cmds, *c)
	r.mu.Unlock()
	r.notify()
}

func (r *Recorder) notify() {
	select {
	case r.notifyCh <- struct{}{}:
	default:
	}
}

// Publications returns a copy of what was received so far.
func (r *Recorder) Publications() []broker.Publication {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]broker.Publication(nil), r.pubs...)
}

// Commands returns a copy of the remote commands received so far.
func (r *Recorder) Commands() []broker.RemoteCommand {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]broker.RemoteCommand(nil), r.cmds...)
}

// WaitPublications waits until at least n publications arrived and returns
// them; it fails the test after timeout.
func (r *Recorder) WaitPublications(t testing.TB, n int, timeout time.Duration) []broker.Publication {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		if pubs := r.Publications(); len(pubs) >= n {
			return pubs
		}
		select {
		case <-r.notifyCh:
		case <-deadline.C:
			t.Fatalf("got %d publications after %s, want %d: %+v", len(r.Publications()), timeout, n, r.Publications())
			return nil
		}
	}
}

// WaitCommands waits until at least n remote commands arrived.
func (r *Recorder) WaitCommands(t testing.TB, n int, timeout time.Duration) []broker.RemoteCommand {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		if cmds := r.Commands(); len(cmds) >= n {
			return cmds
		}
		select {
		case <-r.notifyCh:
		case <-deadline.C:
			t.Fatalf("got %d commands after %s, want %d", len(r.Commands()), timeout, n)
			return nil
		}
	}
}
