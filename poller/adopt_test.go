package poller

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"github.com/valyala/fasthttp"
)

// wrappedConn hides the *net.TCPConn: Adopt must take the goroutine path.
type wrappedConn struct{ net.Conn }

// startAdopter runs a ListenNone server and a plain TCP listener whose
// accepted connections have their head read here (as net/http would) and
// are then adopted, wrapped by wrap.
func startAdopter(t *testing.T, wrap func(net.Conn) net.Conn) (addr string, s Server, h *testHandler) {
	t.Helper()
	h = &testHandler{msgs: make(chan string, 100), opened: make(chan *Conn, 10)}
	h.held.init()
	httpSrv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("plain http") }}
	s, err := New("epoll", Options{ListenNone: true}, h, httpSrv, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	go s.Serve()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				// Read past the head, as an HTTP server does, so Adopt
				// gets the bytes it already took.
				br := bufio.NewReader(nc)
				var head []byte
				for !bytes.HasSuffix(head, headEnd) {
					line, err := br.ReadSlice('\n')
					if err != nil {
						nc.Close()
						return
					}
					head = append(head, line...)
				}
				rest, _ := br.Peek(br.Buffered())
				_ = s.Adopt(wrap(nc), append(head, rest...))
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	return ln.Addr().String(), s, h
}

func testAdoptedEcho(t *testing.T, wrap func(net.Conn) net.Conn) {
	addr, s, h := startAdopter(t, wrap)
	if got := s.Addr().String(); got != "embedded" {
		t.Fatalf("Addr() = %q, want the ListenNone placeholder", got)
	}
	c, _, _, err := ws.Dial(context.Background(), "ws://"+addr+"/ws")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	conn := <-h.opened
	if err := wsutil.WriteClientText(c, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-h.msgs:
		if m != "hello" {
			t.Fatalf("got %q", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no message from the adopted connection")
	}
	if err := conn.Write(ws.MustCompileFrame(ws.NewTextFrame([]byte("back")))); err != nil {
		t.Fatal(err)
	}
	msg, err := wsutil.ReadServerText(c)
	if err != nil || string(msg) != "back" {
		t.Fatalf("read %q, %v", msg, err)
	}
	// Counted whichever path serves it.
	if st := s.Stats(); st.Active != 1 || st.Accepted != 1 || st.BytesSent == 0 {
		t.Fatalf("stats %+v", st)
	}
	// A plain request on another path goes to fasthttp, as on a listener.
	hc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer hc.Close()
	_, _ = hc.Write([]byte("GET /other HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
	_ = hc.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, _ := io.ReadAll(hc)
	if !bytes.Contains(resp, []byte("plain http")) {
		t.Fatalf("plain request: %q", resp)
	}
}

func TestAdoptTCPToEventLoop(t *testing.T) {
	testAdoptedEcho(t, func(nc net.Conn) net.Conn { return nc })
}

func TestAdoptOtherConnGoroutinePath(t *testing.T) {
	testAdoptedEcho(t, func(nc net.Conn) net.Conn { return wrappedConn{nc} })
}

// An adopted TCP connection costs no goroutine once it is on the loop.
func TestAdoptedConnectionsHaveNoGoroutine(t *testing.T) {
	addr, s, h := startAdopter(t, func(nc net.Conn) net.Conn { return nc })
	const n = 200
	var clients []net.Conn
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	dial := func() {
		c, _, _, err := ws.Dial(context.Background(), "ws://"+addr+"/ws")
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
		<-h.opened
	}
	dial()
	base := settledGoroutines()
	for i := 1; i < n; i++ {
		dial()
	}
	if a := s.Stats().Active; a != n {
		t.Fatalf("active = %d, want %d", a, n)
	}
	if g := settledGoroutines(); g > base+20 {
		t.Fatalf("goroutines grew from %d to %d for %d adopted connections", base, g, n-1)
	}
}

// settledGoroutines waits for the adopting goroutines of the test listener
// to end before counting.
func settledGoroutines() int {
	g := runtime.NumGoroutine()
	for i := 0; i < 200; i++ {
		time.Sleep(5 * time.Millisecond)
		if n := runtime.NumGoroutine(); n == g {
			return n
		} else {
			g = n
		}
	}
	return g
}
