package sse

import (
	"strconv"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/densecable/densecable/poller"
	"github.com/densecable/densecable/sessions"
)

// An idle stream keeps its Transport for its whole life: it must stay in
// its size class, and keep nothing of the state before the decision.
func TestTransportSize(t *testing.T) {
	if n := unsafe.Sizeof(Transport{}); n > transportSize {
		t.Fatalf("Transport is %d bytes, over its %d-byte bound", n, transportSize)
	}
	for _, raw := range []bool{false, true} {
		tr, _ := newTestTransport(raw, 1, 1<<20)
		for _, f := range []string{welcome, confirm, string(readyMarker)} {
			_ = tr.Write([]byte(f))
		}
		if p := tr.phase.Load(); p != streaming && p != streamingRaw || p.raw != raw {
			t.Fatalf("raw=%v: a started stream keeps its own state (%p)", raw, p)
		}
	}
	tr, _ := newTestTransport(false, 1, 1<<20)
	_ = tr.Write([]byte(reject))
	if tr.phase.Load() != failed {
		t.Fatal("a refused stream keeps its own state")
	}
}

// Writes racing with the decision come out after the head and the kept
// events, each writer's in its order.
func TestTransportWritesAcrossTheStart(t *testing.T) {
	tr, out := newTestTransport(false, 1, 1<<20)
	_ = tr.Write([]byte(welcome))
	_ = tr.Write([]byte(confirm))
	var wg sync.WaitGroup
	const writers, each = 4, 50
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				_ = tr.Write([]byte("data: " + strconv.Itoa(w) + "." + strconv.Itoa(i) + "\n\n"))
			}
		}()
	}
	_ = tr.Write(readyMarker)
	wg.Wait()
	all := strings.Join(out.log, "")
	if !strings.HasPrefix(all, head(200)+welcome+confirm) {
		t.Fatalf("the stream starts with %q", all[:min(len(all), 200)])
	}
	for w := 0; w < writers; w++ {
		last := -1
		for i := 0; i < each; i++ {
			at := strings.Index(all, "data: "+strconv.Itoa(w)+"."+strconv.Itoa(i)+"\n\n")
			if at < 0 || at < last {
				t.Fatalf("writer %d event %d missing or out of order", w, i)
			}
			last = at
		}
	}
}

var transportSink sessions.Transport

// On the event loop the stream's transport is its Conn: the phase lives
// in the Conn's held word, and making the session's transport of it
// allocates nothing (an idle SSE stream costs what a WebSocket does).
func TestConnTransportIsTheConn(t *testing.T) {
	c := &poller.Conn{}
	p := newPending(false, 1, &heads{lines: []byte("X: y\r\n")}, "*", 1<<10)
	tr := newConnTransport(c, p)
	if unsafe.Pointer(tr) != unsafe.Pointer(c) || tr.s().phase.Load() != p {
		t.Fatal("the transport is not the Conn with its phase in the held word")
	}
	if n := testing.AllocsPerRun(100, func() { transportSink = (*ConnTransport)(c) }); n != 0 {
		t.Fatalf("%v allocations for a Conn's transport", n)
	}
}
