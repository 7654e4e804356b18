package server

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/densecable/densecable/broker"
)

// A publication that reaches the hub alone is written to each socket at
// once (fanout.Direct); a burst is gathered and flushed with one writev.
// These tests drive both paths on one socket against the real server.

// publishAlone publishes on stream and waits until the hub has handed its
// frame to every subscriber, so that the next publication is alone in its
// gate too (the direct path). frames is the hub's frame count before.
func publishAlone(t *testing.T, srv *app, stream, data string, frames uint64, subscribers int) uint64 {
	t.Helper()
	srv.pub.HandleBroadcast(&broker.Publication{Stream: stream, Data: data})
	want := frames + uint64(subscribers)
	deadline := time.Now().Add(15 * time.Second)
	for srv.hub.Stats().Frames.Load() < want {
		if time.Now().After(deadline) {
			t.Fatalf("publication %s not delivered", data)
		}
		runtime.Gosched()
	}
	return want
}

// Messages for one socket keep their order whether they were written
// directly, gathered in a burst, or queued behind output the socket did
// not take: lone publications, bursts and large ones interleave while the
// client reads nothing, then it reads them all in order.
func TestDirectAndGatheredWritesKeepOrder(t *testing.T) { forEachEngine(t, directAndGatheredKeepOrder) }

func directAndGatheredKeepOrder(t *testing.T, engine string) {
	app := startTestApp(t)
	srv := startServer(t, "--rpc_host="+app.addr, "--ws_max_pending_size=67108864", "--ws_write_timeout=30")
	c := dial(t, srv.wsURL("/cable?user=order"))
	c.read()
	id := identifier("order")
	c.send(map[string]string{"command": "subscribe", "identifier": id})
	if got := c.read(); !strings.Contains(got, "confirm_subscription") {
		t.Fatalf("subscribe: %s", got)
	}
	big := strings.Repeat("b", 1<<20) // fills the socket (4 MB): later writes queue
	const rounds, perRound = 8, 5 + 20 + 1
	// The client reads while the server writes, so that the socket keeps
	// taking some output while earlier output still waits for it.
	done := make(chan error, 1)
	go func() {
		for want := 1; want <= rounds*perRound; want++ {
			op, p, err := c.next(20 * time.Second)
			if err != nil {
				done <- fmt.Errorf("message %d of %d: %v", want, rounds*perRound, err)
				return
			}
			if op != ws.OpText || strings.HasPrefix(string(p), `{"type":"ping"`) {
				want--
				continue
			}
			var got int
			i := strings.Index(string(p), `"message":"`)
			if i < 0 {
				done <- fmt.Errorf("message %d: %.80s", want, p)
				return
			}
			if _, err := fmt.Sscanf(string(p[i+len(`"message":"`):]), "%d", &got); err != nil || got != want {
				done <- fmt.Errorf("got message %d (%v) when %d was due", got, err, want)
				return
			}
		}
		done <- nil
	}()
	frames := srv.hub.Stats().Frames.Load()
	n := 0
	data := func(pad string) string { n++; return fmt.Sprintf(`"%d %s"`, n, pad) }
	for round := 0; round < rounds; round++ {
		for i := 0; i < 5; i++ {
			frames = publishAlone(t, srv, "chat_order", data(""), frames, 1)
		}
		for i := 0; i < 20; i++ { // a burst: gathered when the gate is busy
			srv.pub.HandleBroadcast(&broker.Publication{Stream: "chat_order", Data: data("")})
		}
		frames = publishAlone(t, srv, "chat_order", data(big), frames+20, 1)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// A client that reads nothing while publications arrive one at a time
// (every one written directly) is still cut off with too_slow once its
// pending output passes --ws_max_pending_size.
func TestDirectWritesCutOffSlowClient(t *testing.T) { forEachEngine(t, directWritesCutOffSlowClient) }

func directWritesCutOffSlowClient(t *testing.T, engine string) {
	app := startTestApp(t)
	srv := startServer(t, "--rpc_host="+app.addr, "--ws_max_pending_size=65536", "--ws_write_timeout=30")
	c := dial(t, srv.wsURL("/cable?user=slowdirect"))
	c.read()
	c.send(map[string]string{"command": "subscribe", "identifier": identifier("slowdirect")})
	c.read()
	payload := `"` + strings.Repeat("z", 16<<10) + `"`
	frames := srv.hub.Stats().Frames.Load()
	for i := 0; i < 8000 && srv.node.Stats().SlowClients.Load() == 0; i++ {
		frames = publishAlone(t, srv, "chat_slowdirect", payload, frames, 1)
	}
	if srv.node.Stats().SlowClients.Load() == 0 {
		t.Fatal("8000 unread 16 KB messages and the client was not cut off")
	}
	expectTooSlow(t, c)
}
