package sessions

import (
	"log/slog"
	"testing"
)

// Past its bound the disconnect queue pauses accepting (it never drops a
// call nor blocks a worker), and accepting resumes once it drains.
func TestDisconnectBacklogPausesAccept(t *testing.T) {
	rpc := &fakeRPC{gate: make(chan struct{})}
	n, rec := newTestNode(t, Options{Workers: 2, DisconnectRate: 1000, MaxConn: 5}, Deps{RPC: rpc})
	const clients = 12
	conns := make([]*fakeConn, clients)
	for i := range conns {
		_, conns[i] = connect(n, "/cable")
	}
	waitFor(t, "every client connected", func() bool { return n.stats.Clients.Load() == clients })
	if n.AcceptPaused() {
		t.Fatal("paused with an empty disconnect queue")
	}
	for _, c := range conns {
		c.Close(1000, "")
	}
	// Every cleanup ran although no Disconnect call can finish: the queue
	// never blocks a worker.
	waitFor(t, "every session cleaned up", func() bool { return n.stats.Clients.Load() == 0 })
	// One call is in flight (blocked), the rest wait: 11 > 5.
	waitFor(t, "one Disconnect in flight", func() bool { return rpc.inFlight.Load() == 1 })
	if !n.AcceptPaused() {
		t.Fatalf("not paused with %d queued Disconnect calls over a bound of 5", n.stats.DisconnectQueue.Load())
	}
	if w := rec.lines(slog.LevelWarn, "not accepting"); len(w) != 1 {
		t.Errorf("want one rate-limited warning, got %d", len(w))
	}
	close(rpc.gate)
	waitFor(t, "every Disconnect call", func() bool { return rpc.disconnects.Load() == clients })
	if n.AcceptPaused() {
		t.Fatal("still paused after the queue drained")
	}
	if i := rec.lines(slog.LevelInfo, "accepting new connections again"); len(i) != 1 {
		t.Errorf("want one line on resume, got %d", len(i))
	}
}

func TestDisconnectBacklogBoundDefaults(t *testing.T) {
	n, _ := newTestNode(t, Options{}, Deps{})
	if n.disconnect.bound != 50000 {
		t.Fatalf("bound without --max-conn: %d", n.disconnect.bound)
	}
	m, _ := newTestNode(t, Options{MaxConn: 300}, Deps{})
	if m.disconnect.bound != 300 {
		t.Fatalf("bound with --max-conn=300: %d", m.disconnect.bound)
	}
}

// The pause/resume lines are rate-limited: a queue hovering at its bound
// does not flood the log.
func TestDisconnectPauseLogRateLimited(t *testing.T) {
	rpc := &fakeRPC{gate: make(chan struct{})}
	n, rec := newTestNode(t, Options{Workers: 2, DisconnectRate: 1, MaxConn: 1}, Deps{RPC: rpc})
	q := n.disconnect
	s, _ := connect(n, "/cable")
	waitFor(t, "connected", func() bool { return n.stats.Clients.Load() == 1 })
	// The rate-limited loop takes a first entry and stays blocked in its
	// call: this goroutine alone moves the queue.
	q.enqueue(s, nil)
	waitFor(t, "the loop blocked in a call", func() bool { return rpc.inFlight.Load() == 1 })
	// Hover around the bound: 2 entries (paused), pop one (resumed), ...
	q.enqueue(s, nil)
	for i := 0; i < 50; i++ {
		q.enqueue(s, nil)
		if !n.AcceptPaused() {
			t.Fatal("not paused over the bound")
		}
		q.mu.Lock()
		_, _, change, size := q.popLocked()
		q.mu.Unlock()
		q.logPaused(change, size)
		if n.AcceptPaused() {
			t.Fatal("paused at the bound")
		}
	}
	if w := rec.lines(slog.LevelWarn, "not accepting"); len(w) != 1 {
		t.Errorf("50 pauses within a second: %d warnings, want 1", len(w))
	}
	if i := rec.lines(slog.LevelInfo, "accepting new connections again"); len(i) != 1 {
		t.Errorf("50 resumes within a second: %d lines, want 1", len(i))
	}
	close(rpc.gate)
}
