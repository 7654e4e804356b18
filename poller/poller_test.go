package poller

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
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
}

type testRecv struct{ h *testHandler }

func (r testRecv) OnMessage(op ws.OpCode, p []byte) { r.h.msgs <- string(p) }
func (r testRecv) OnClose()                         {}

func (h *testHandler) UpgradeOptions(path string) *frames.UpgradeOptions {
	if path == "/ws" {
		return &frames.UpgradeOptions{}
	}
	return nil
}

func (h *testHandler) Open(c *Conn, _ *frames.Request) Receiver {
	h.opened <- c
	return testRecv{h}
}

func startPoller(t *testing.T, engine string, opts Options) (Server, *testHandler) {
	t.Helper()
	h := &testHandler{msgs: make(chan string, 100), opened: make(chan *Conn, 10)}
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

func engines(t *testing.T, f func(t *testing.T, engine string)) {
	for _, e := range Engines {
		t.Run(e, func(t *testing.T) { f(t, e) })
	}
}

func TestSlowClientIsCutOff(t *testing.T) {
	engines(t, func(t *testing.T, engine string) {
		s, h := startPoller(t, engine, Options{MaxPending: 64 << 10, WriteTimeout: 10 * time.Second})
		conn, _, _, err := ws.Dial(context.Background(), "ws://"+s.Addr().String()+"/ws")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		// Keep the client's receive buffer small so the server's output
		// backs up quickly; the client never reads.
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetReadBuffer(4096)
		}
		c := <-h.opened
		frame := frames.AppendFrame(nil, ws.OpText, []byte(strings.Repeat("x", 16<<10)))
		var werr error
		for i := 0; i < 100000 && werr == nil; i++ {
			werr = c.Write(frame)
		}
		if !errors.Is(werr, ErrTooSlow) {
			t.Fatalf("want ErrTooSlow, got %v", werr)
		}
		c.mu.Lock()
		pending := c.pendingBytes
		c.mu.Unlock()
		if pending > 64<<10 {
			t.Fatalf("pending output %d exceeds the limit", pending)
		}
	})
}

func TestMessagesAndPlainHTTP(t *testing.T) {
	engines(t, func(t *testing.T, engine string) {
		s, h := startPoller(t, engine, Options{MaxMessageSize: 1 << 20})
		conn, _, _, err := ws.Dial(context.Background(), "ws://"+s.Addr().String()+"/ws")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		<-h.opened
		// A large message arrives in many reads; a fragmented one too.
		big := strings.Repeat("y", 300<<10)
		if err := ws.WriteFrame(conn, ws.MaskFrame(ws.NewTextFrame([]byte(big)))); err != nil {
			t.Fatal(err)
		}
		_ = ws.WriteFrame(conn, ws.MaskFrame(ws.NewFrame(ws.OpText, false, []byte("frag-"))))
		_ = ws.WriteFrame(conn, ws.MaskFrame(ws.NewFrame(ws.OpContinuation, true, []byte("ment"))))
		for _, want := range []string{big, "frag-ment"} {
			select {
			case got := <-h.msgs:
				if got != want {
					t.Fatalf("got %d bytes, want %d", len(got), len(want))
				}
			case <-time.After(5 * time.Second):
				t.Fatal("message not delivered")
			}
		}
		// Plain HTTP on the same port goes to fasthttp.
		res, err := http.Get("http://" + s.Addr().String() + "/other")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if string(body) != "plain http" {
			t.Fatalf("http body %q", body)
		}
	})
}

func TestHandshakeTimeout(t *testing.T) {
	engines(t, func(t *testing.T, engine string) {
		s, _ := startPoller(t, engine, Options{HandshakeTimeout: 200 * time.Millisecond})
		c, err := net.Dial("tcp", s.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write([]byte("GET /ws HTTP/1.1\r\nHost: x\r\n"))
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = bufio.NewReader(c).ReadByte()
		if err == nil {
			t.Fatal("server answered a half-sent request")
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("a half-sent request must be closed by the server")
		}
	})
}

func TestMaxConnRefusesCleanly(t *testing.T) {
	engines(t, func(t *testing.T, engine string) {
		s, h := startPoller(t, engine, Options{MaxConn: 1})
		conn, _, _, err := ws.Dial(context.Background(), "ws://"+s.Addr().String()+"/ws")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		<-h.opened
		if _, _, _, err := ws.Dial(context.Background(), "ws://"+s.Addr().String()+"/ws"); err == nil {
			t.Fatal("second connection must be refused")
		}
		deadline := time.Now().Add(5 * time.Second)
		for s.Stats().Refused == 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if s.Stats().Refused == 0 {
			t.Fatal("refusal not counted")
		}
	})
}

func TestQueueFlushKeepsOrder(t *testing.T) {
	engines(t, func(t *testing.T, engine string) {
		s, h := startPoller(t, engine, Options{})
		conn, br, _, err := ws.Dial(context.Background(), "ws://"+s.Addr().String()+"/ws")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		c := <-h.opened
		frame := func(s string) []byte { return frames.AppendFrame(nil, ws.OpText, []byte(s)) }
		if first, err := c.Queue(frame("1")); !first || err != nil {
			t.Fatalf("first queue: %v %v", first, err)
		}
		if first, _ := c.Queue(frame("2")); first {
			t.Fatal("second queue must not be first")
		}
		// A direct write goes behind what was gathered.
		if err := c.Write(frame("3")); err != nil {
			t.Fatal(err)
		}
		c.Queue(frame("4"))
		if err := c.Flush(); err != nil {
			t.Fatal(err)
		}
		var r io.Reader = conn
		if br != nil {
			r = br
		}
		for _, want := range []string{"1", "2", "3", "4"} {
			f, err := ws.ReadFrame(r)
			if err != nil || string(f.Payload) != want {
				t.Fatalf("got %q (%v), want %q", f.Payload, err, want)
			}
		}
	})
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

func TestFlushMoreFramesThanIOVMax(t *testing.T) {
	engines(t, func(t *testing.T, engine string) {
		s, h := startPoller(t, engine, Options{})
		conn, br, _, err := ws.Dial(context.Background(), "ws://"+s.Addr().String()+"/ws")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		c := <-h.opened
		const n = 2000
		for i := 0; i < n; i++ {
			if _, err := c.Queue(frames.AppendFrame(nil, ws.OpText, []byte("m"))); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Flush(); err != nil {
			t.Fatal(err)
		}
		var r io.Reader = conn
		if br != nil {
			r = br
		}
		for i := 0; i < n; i++ {
			if f, err := ws.ReadFrame(r); err != nil || string(f.Payload) != "m" {
				t.Fatalf("frame %d: %q %v", i, f.Payload, err)
			}
		}
	})
}
