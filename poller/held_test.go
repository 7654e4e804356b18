package poller

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"weak"

	"github.com/densecable/densecable/frames"
)

// heldTestState is the test handler's side of held requests: /held holds
// (GET and POST, bodies up to 1 KiB); ?respond answers at once with the
// body; ?stream starts a streaming response; otherwise the test answers.
type heldTestState struct {
	conns  chan heldCall
	closes atomic.Int32
	closed chan struct{}
}

type heldCall struct {
	c    *Conn
	body string
	uri  string
	req  weak.Pointer[HTTPRequest] // heldstate_test.go: is it still kept?
}

func (s *heldTestState) init() {
	s.conns = make(chan heldCall, 16)
	s.closed = make(chan struct{}, 16)
}

type heldTestRecv struct{ s *heldTestState }

func (r heldTestRecv) OnClose() {
	r.s.closes.Add(1)
	r.s.closed <- struct{}{}
}

func (h *testHandler) HoldHTTP(method, path string) (int, bool) {
	return 1024, path == "/held" && (method == "GET" || method == "POST")
}

func (h *testHandler) ServeHeld(c *Conn, req *HTTPRequest) HTTPReceiver {
	body := string(req.Body)
	switch {
	case strings.Contains(req.URI, "respond"):
		c.Respond(200, []frames.Header{{Key: "X-Test", Value: "1"}}, []byte("echo:"+body))
		return heldTestRecv{&h.held}
	case strings.Contains(req.URI, "stream"):
		_ = c.Write(frames.AppendResponseHead(nil, 200, []frames.Header{{Key: "Content-Type", Value: "text/event-stream"}}))
		_ = c.Write([]byte("hello\n"))
	}
	h.held.conns <- heldCall{c: c, body: body, uri: req.URI, req: weak.Make(req)}
	return heldTestRecv{&h.held}
}

func nextHeld(t *testing.T, h *testHandler) heldCall {
	t.Helper()
	select {
	case hc := <-h.held.conns:
		return hc
	case <-time.After(5 * time.Second):
		t.Fatal("held request not served")
	}
	return heldCall{}
}

func waitHeldClose(t *testing.T, h *testHandler) {
	t.Helper()
	select {
	case <-h.held.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("OnClose not called")
	}
}

func readResponse(t *testing.T, br *bufio.Reader) (*http.Response, string) {
	t.Helper()
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res, string(b)
}

// openHeldStream asks for a streaming held response (with extra header
// lines, each ending in CRLF) and reads its head: the client's socket and
// reader, and the handler's side of the stream.
func openHeldStream(t *testing.T, s Server, h *testHandler, engine, headers string) (net.Conn, *bufio.Reader, heldCall) {
	t.Helper()
	c := rawDial(t, s, engine)
	_, _ = c.Write([]byte("GET /held?stream HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n"))
	hc := nextHeld(t, h)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(c)
	if res, err := http.ReadResponse(br, nil); err != nil || res.StatusCode != 200 {
		t.Fatalf("stream head: %v %v", res, err)
	}
	return c, br, hc
}

func contractHeldStreamClientLeaves(t *testing.T, engine string) {
	s, h := startEngine(t, engine, Options{})
	c, br, hc := openHeldStream(t, s, h, engine, "")
	line, _ := br.ReadString('\n')
	if line != "hello\n" {
		t.Fatalf("first event %q", line)
	}
	// The handler writes whenever it likes, from any goroutine.
	go func() { _ = hc.c.Write([]byte("later\n")) }()
	if line, _ = br.ReadString('\n'); line != "later\n" {
		t.Fatalf("second event %q", line)
	}
	c.Close()
	waitHeldClose(t, h)
	if hc.c.Finish() {
		t.Fatal("Finish after the client left must report false")
	}
	ctxShutdown(t, s)
	if n := h.held.closes.Load(); n != 1 {
		t.Fatalf("OnClose ran %d times", n)
	}
}

func contractHeldKeepAlive(t *testing.T, engine string) {
	s, h := startEngine(t, engine, Options{HandshakeTimeout: time.Minute})
	c := rawDial(t, s, engine)
	br := bufio.NewReader(c)
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	// A POST whose body arrives in two writes, answered later.
	_, _ = c.Write([]byte("POST /held HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nab"))
	_, _ = c.Write([]byte("cdef"))
	hc := nextHeld(t, h)
	if hc.body != "abcdef" {
		t.Fatalf("body %q", hc.body)
	}
	go func() {
		if !hc.c.Respond(200, nil, []byte("later")) {
			t.Error("Respond on a held request reported closed")
		}
	}()
	if res, body := readResponse(t, br); res.StatusCode != 200 || body != "later" || res.Close {
		t.Fatalf("held answer: %d %q close=%v", res.StatusCode, body, res.Close)
	}
	// The same socket serves the next held request, answered at once...
	_, _ = c.Write([]byte("GET /held?respond HTTP/1.1\r\nHost: x\r\n\r\n"))
	if res, body := readResponse(t, br); res.StatusCode != 200 || body != "echo:" || res.Header.Get("X-Test") != "1" {
		t.Fatalf("second answer: %d %q", res.StatusCode, body)
	}
	// ...and then a plain request, which goes to fasthttp.
	_, _ = c.Write([]byte("GET /other HTTP/1.1\r\nHost: x\r\n\r\n"))
	if res, body := readResponse(t, br); res.StatusCode != 200 || body != "plain http" {
		t.Fatalf("plain answer after held ones: %d %q", res.StatusCode, body)
	}
	if n := h.held.closes.Load(); n != 0 {
		t.Fatalf("OnClose ran %d times for finished responses", n)
	}
}

func contractHeldCloses(t *testing.T, engine string) {
	s, h := startEngine(t, engine, Options{HandshakeTimeout: time.Minute})
	for _, req := range []string{
		"GET /held HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"GET /held HTTP/1.0\r\n\r\n",
	} {
		c := rawDial(t, s, engine)
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, _ = c.Write([]byte(req))
		hc := nextHeld(t, h)
		if hc.c.KeepAlive() {
			t.Fatalf("%q: keep-alive", req)
		}
		hc.c.Respond(200, nil, []byte("bye"))
		res, body := readResponse(t, bufio.NewReader(c))
		if !res.Close || body != "bye" {
			t.Fatalf("%q: close=%v body %q", req, res.Close, body)
		}
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Fatalf("%q: socket still open after the response", req)
		}
	}
	if engine != "epoll" {
		return // only the epoll engine sees pipelined bytes in the same read
	}
	c := rawDial(t, s, engine)
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, _ = c.Write([]byte("GET /held HTTP/1.1\r\nHost: x\r\n\r\nGET /other HTTP/1.1\r\nHost: x\r\n\r\n"))
	hc := nextHeld(t, h)
	hc.c.Respond(200, nil, []byte("one"))
	res, body := readResponse(t, bufio.NewReader(c))
	if !res.Close || body != "one" {
		t.Fatalf("pipelined: close=%v body %q", res.Close, body)
	}
}

func contractHeldBadBodies(t *testing.T, engine string) {
	s, h := startEngine(t, engine, Options{HandshakeTimeout: time.Minute})
	for req, want := range map[string]int{
		"POST /held HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n": 411,
		"POST /held HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n":                            413,
		"POST /held HTTP/1.1\r\nHost: x\r\nContent-Length: x1\r\n\r\n":                              400,
		"POST /held HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab":        400,
		"GET /held HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n":                                    400,
	} {
		c := rawDial(t, s, engine)
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, _ = c.Write([]byte(req))
		res, _ := readResponse(t, bufio.NewReader(c))
		if res.StatusCode != want {
			t.Fatalf("%q: %d, want %d", req, res.StatusCode, want)
		}
	}
	select {
	case hc := <-h.held.conns:
		t.Fatalf("a bad request reached the handler: %q", hc.uri)
	default:
	}
	// An unfinished body is bounded by the handshake timeout.
	s2, _ := startEngine(t, engine, Options{HandshakeTimeout: 200 * time.Millisecond, SweepInterval: 20 * time.Millisecond})
	c := rawDial(t, s2, engine)
	_, _ = c.Write([]byte("POST /held HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab"))
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadAll(c); err != nil {
		var ne net.Error
		if ok := asNetErr(err, &ne); ok && ne.Timeout() {
			t.Fatal("unfinished body not timed out")
		}
	}
}

func contractHeldSlowReaderCutOff(t *testing.T, engine string) {
	s, h := startEngine(t, engine, Options{MaxPending: 64 << 10, WriteTimeout: 300 * time.Millisecond, SweepInterval: 50 * time.Millisecond})
	c := rawDial(t, s, engine)
	_, _ = c.Write([]byte("GET /held?stream HTTP/1.1\r\nHost: x\r\n\r\n"))
	hc := nextHeld(t, h)
	chunk := []byte(strings.Repeat("x", 16<<10))
	var err error
	for i := 0; i < 100000 && err == nil; i++ {
		err = hc.c.Write(chunk)
	}
	if err != ErrTooSlow {
		t.Fatalf("writes to a client that never reads: %v, want ErrTooSlow", err)
	}
	// The stuck output is dropped at the write timeout: the socket closes.
	hc.c.Close(0, "")
	waitHeldClose(t, h)
}

func ctxShutdown(t *testing.T, s Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

func contractHeldStreamIgnoresInput(t *testing.T, engine string) {
	s, h := startEngine(t, engine, Options{HandshakeTimeout: 100 * time.Millisecond, SweepInterval: 20 * time.Millisecond})
	c, br, hc := openHeldStream(t, s, h, engine, "")
	_, _ = br.ReadString('\n') // hello
	// Input behind a held request is not a new request: no 400, no close,
	// no handshake timeout (many sweeps pass while the events go on).
	_, _ = c.Write([]byte("garbage that is no request\r\n\r\n"))
	for i := 0; i < 10; i++ {
		want := "event " + strconv.Itoa(i) + "\n"
		if err := hc.c.Write([]byte(want)); err != nil {
			t.Fatal(err)
		}
		if line, err := br.ReadString('\n'); line != want {
			t.Fatalf("after the client's bytes: %q %v", line, err)
		}
		time.Sleep(20 * time.Millisecond) // let sweeps run between events
	}
	if n := h.held.closes.Load(); n != 0 {
		t.Fatalf("held stream closed (%d) by input sent during it", n)
	}
}

func asNetErr(err error, ne *net.Error) bool {
	e, ok := err.(net.Error)
	if ok {
		*ne = e
	}
	return ok
}
