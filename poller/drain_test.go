package poller

import (
	"context"
	"testing"
	"time"
)

// waitActive waits until the engine holds n connections (a dial returns
// once the kernel has it, before the engine does; an active connection is
// in the engine's snapshot).
func waitActive(t *testing.T, s Server, n int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.Stats().Active < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d active connections, want %d", s.Stats().Active, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// A request the engine accepted before StopAccepting is waited for: its
// client finishes sending it after the stop and is served.
func contractWaitHandshakesServesAccepted(t *testing.T, engine string) {
	s, h := startEngine(t, engine, Options{})
	c := rawDial(t, s, engine)
	_, _ = c.Write([]byte("GET /held?stream HTTP/1.1\r\nHost: x\r\n")) // the head is not finished
	waitActive(t, s, 1)
	s.StopAccepting()
	returned := make(chan time.Time, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		s.WaitHandshakes(ctx)
		returned <- time.Now()
	}()
	// A pause for a wait that does not wait to show itself.
	time.Sleep(50 * time.Millisecond)
	sent := time.Now()
	_, _ = c.Write([]byte("\r\n"))
	nextHeld(t, h) // served after the stop
	select {
	case at := <-returned:
		if at.Before(sent) {
			t.Fatal("WaitHandshakes returned while a request was still arriving")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("WaitHandshakes still waiting after the request was served")
	}
	ctxShutdown(t, s)
}

// A client that never sends its request is not waited for beyond the
// context.
func contractWaitHandshakesBounded(t *testing.T, engine string) {
	s, _ := startEngine(t, engine, Options{})
	_ = rawDial(t, s, engine)
	waitActive(t, s, 1)
	s.StopAccepting()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	s.WaitHandshakes(ctx)
	if d := time.Since(start); d < 90*time.Millisecond || d > 5*time.Second {
		t.Fatalf("WaitHandshakes returned after %v with a silent client and a 100ms context", d)
	}
	ctxShutdown(t, s)
}
