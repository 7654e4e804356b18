package poller

import (
	"context"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/valyala/fasthttp"

	"github.com/densecable/densecable/frames"
)

type testHandler struct {
	mu     sync.Mutex
	conns  []*Conn
	msgs   chan string
	opened chan *Conn
	held   heldTestState // held HTTP requests (held_test.go)
	// onOpen, when set (under mu), is called from Open and its receiver
	// returned (close_test.go).
	onOpen func(c *Conn) Receiver
}

type testRecv struct{ h *testHandler }

func (r testRecv) OnMessage(op ws.OpCode, p []byte) { r.h.msgs <- string(p) }
func (r testRecv) OnClose()                         {}

func (h *testHandler) UpgradeOptions(path string) *frames.UpgradeOptions {
	switch path {
	case "/ws":
		return &frames.UpgradeOptions{}
	case "/wsz": // permessage-deflate (deflate_test.go)
		return &frames.UpgradeOptions{Compression: true}
	}
	return nil
}

func (h *testHandler) Open(c *Conn, _ *frames.Request) Receiver {
	h.opened <- c
	h.mu.Lock()
	onOpen := h.onOpen
	h.mu.Unlock()
	if onOpen != nil {
		return onOpen(c)
	}
	return testRecv{h}
}

func startPoller(t *testing.T, engine string, opts Options) (Server, *testHandler) {
	t.Helper()
	h := &testHandler{msgs: make(chan string, 100), opened: make(chan *Conn, 10)}
	h.held.init()
	opts.Addr = "127.0.0.1:0"
	httpSrv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("plain http") }}
	s, err := New(engine, opts, h, httpSrv, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	go s.Serve()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	return s, h
}

// Closing many connections from many goroutines while the sweeper runs
// constantly must not deadlock (the two take the loop's and a connection's
// locks; they must never hold both in opposite orders).
func TestConcurrentClosesWithSweeper(t *testing.T) {
	s, h := startPoller(t, "epoll", Options{SweepInterval: time.Millisecond})
	const n = 300
	var clients []net.Conn
	var conns []*Conn
	for i := 0; i < n; i++ {
		c, _, _, err := ws.Dial(context.Background(), "ws://"+s.Addr().String()+"/ws")
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
		conns = append(conns, <-h.opened)
	}
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	done := make(chan struct{})
	go func() {
		var wg sync.WaitGroup
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := w; i < n; i += 8 {
					conns[i].Close(frames.CloseGoingAway, "bye")
				}
			}(w)
		}
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("closing connections deadlocked")
	}
	eventually := time.Now().Add(10 * time.Second)
	for s.Stats().Active != 0 && time.Now().Before(eventually) {
		time.Sleep(10 * time.Millisecond)
	}
	if a := s.Stats().Active; a != 0 {
		t.Fatalf("%d connections still active", a)
	}
}
