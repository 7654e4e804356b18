package poller

import (
	"bufio"
	"net/http"
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
	c := rawDial(t, s, engine)
	_, _ = c.Write([]byte("GET /held?stream HTTP/1.1\r\nHost: x\r\nX-Big: yyyyyyyy\r\n\r\n"))
	hc := nextHeld(t, h)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if res, err := http.ReadResponse(bufio.NewReader(c), nil); err != nil || res.StatusCode != 200 {
		t.Fatalf("stream head: %v %v", res, err)
	}
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
