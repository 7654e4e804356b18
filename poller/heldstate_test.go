package poller

import (
	"runtime"
	"testing"
	"time"
)

// contractHeldKeepsNoRequest: once ServeHeld returned, a held response
// keeps neither the request (head, headers) nor anything hanging from it;
// only its receiver stays. The request is collectable while the stream
// waits, and the receiver still hears the close.
func contractHeldKeepsNoRequest(t *testing.T, engine string) {
	s, h := startEngine(t, engine, Options{})
	c, _, hc := openHeldStream(t, s, h, engine, "X-Big: yyyyyyyy\r\n")
	deadline := time.Now().Add(10 * time.Second)
	for hc.req.Value() != nil {
		if time.Now().After(deadline) {
			t.Fatal("the served request is still reachable while its response is held")
		}
		runtime.GC()
	}
	hc.c.mu.Lock()
	cur, resumed := hc.c.recv, hc.c.resumed
	hc.c.mu.Unlock()
	if _, ok := cur.(HTTPReceiver); !ok {
		t.Fatalf("held connection keeps %T, want its receiver", cur)
	}
	// The engine's only other state for a held response: the blocking
	// readers' channel, which the epoll engine does without.
	if (resumed != nil) != (engine != "epoll") {
		t.Fatalf("%s engine: resumed channel %v", engine, resumed)
	}
	c.Close()
	waitHeldClose(t, h)
}
