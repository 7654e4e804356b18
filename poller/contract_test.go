package poller

import (
	"bufio"
	"context"
	"crypto/tls"
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

var testTLSOnce sync.Once
var testTLSCert tls.Certificate

// startEngine is startPoller that also knows "tls" (the std engine).
func startEngine(t *testing.T, engine string, opts Options) (Server, *testHandler) {
	t.Helper()
	if engine == "tls" {
		testTLSOnce.Do(func() { testTLSCert = selfSigned(t) })
		opts.TLS = &tls.Config{Certificates: []tls.Certificate{testTLSCert}}
		engine = "epoll"
	}
	return startPoller(t, engine, opts)
}

// rawDial opens a byte stream to the server (TLS for the tls engine).
func rawDial(t *testing.T, s Server, engine string) net.Conn {
	t.Helper()
	var c net.Conn
	var err error
	if engine == "tls" {
		c, err = tls.Dial("tcp", s.Addr().String(), &tls.Config{InsecureSkipVerify: true})
	} else {
		c, err = net.Dial("tcp", s.Addr().String())
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// wsDial upgrades a connection and returns it with a reader for the
// server's frames.
func wsDial(t *testing.T, s Server, engine string) (net.Conn, io.Reader) {
	t.Helper()
	d := ws.Dialer{Timeout: 5 * time.Second}
	if engine == "tls" {
		d.TLSConfig = &tls.Config{InsecureSkipVerify: true}
	}
	conn, br, _, err := d.Dial(context.Background(), scheme(engine, "ws")+s.Addr().String()+"/ws")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if br != nil {
		return conn, br
	}
	return conn, conn
}

// closedBy waits for the server to end the connection and returns the close
// code it sent (0 when the socket closed without a close frame). It fails
// when nothing happens within limit.
func closedBy(t *testing.T, conn net.Conn, r io.Reader, limit time.Duration) uint16 {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(limit))
	for {
		f, err := ws.ReadFrame(r)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("connection still open after %v", limit)
			}
			return 0
		}
		if f.Header.OpCode == ws.OpClose {
			code, _ := frames.ParseClose(f.Payload)
			return code
		}
	}
}

// scheme is "ws://" or "http://" (base), with the "s" for the tls engine.
func scheme(engine, base string) string {
	if engine == "tls" {
		return base + "s://"
	}
	return base + "://"
}

// httpClient is a plain HTTP client that trusts the test certificate.
func httpClient(engine string) *http.Client {
	if engine == "tls" {
		return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	}
	return http.DefaultClient
}

// waitIdle waits until nothing is waiting for c's socket: on TLS the
// handshake response goes out through a flusher, and Queue gathers for a
// Flush only on a connection with nothing queued.
func waitIdle(t *testing.T, c *Conn) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c.mu.Lock()
		busy := c.flushing
		c.mu.Unlock()
		if !busy {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("output still waiting for the socket after 5 s")
		}
		time.Sleep(time.Millisecond)
	}
}

// engineContract is what every engine must do, whatever its I/O: one row
// per behaviour a client can see. TestEngineContract runs every row on
// every engine (epoll, netpoll, and TLS, which runs on Go's crypto/tls), so
// a new engine is tested by adding its name to contractEngines.
var engineContract = []struct {
	name string
	run  func(t *testing.T, engine string)
}{
	{"upgrade, messages and plain HTTP hand-off", contractMessagesAndPlainHTTP},
	{"400 for garbage at once", contractGarbageGetsBadRequestAtOnce},
	{"handshake timeout", contractHandshakeTimeout},
	{"trickled head cut off", contractSlowlorisHeadCutOff},
	{"frame timeout", contractStalledFrameTimesOut},
	{"steady frames not timed out", contractSteadyFramesNotTimedOut},
	{"close codes", contractInvalidCloseCodeAnswered1002},
	{"partial input bounded by max message size", contractPartialInputBoundedByMaxMessageSize},
	{"data opcode", contractDataOpCode},
	{"max-conn refuses cleanly", contractMaxConnRefusesCleanly},
	{"plain HTTP counts against max-conn", contractPlainHTTPCountsAgainstMaxConn},
	{"accept paused", contractAcceptPaused},
	{"slow client cut off", contractSlowClientIsCutOff},
	{"queue flush keeps order", contractQueueFlushKeepsOrder},
	{"idle after the upgrade is not a partial frame", contractIdleAfterUpgrade},
	{"flush more frames than IOV_MAX", contractFlushMoreFramesThanIOVMax},
	{"held HTTP: streaming response, client leaves, OnClose once", contractHeldStreamClientLeaves},
	{"held HTTP: completed later, keep-alive serves the next requests", contractHeldKeepAlive},
	{"held HTTP: Connection: close and pipelined bytes close after Finish", contractHeldCloses},
	{"held HTTP: bad bodies get 4xx", contractHeldBadBodies},
	{"held HTTP: slow reader cut off by the pending bound", contractHeldSlowReaderCutOff},
	{"held HTTP: bytes sent during a stream wait, the stream goes on", contractHeldStreamIgnoresInput},
	{"held HTTP: a waiting stream keeps no request", contractHeldKeepsNoRequest},
	{"held HTTP: an answer waiting for the socket is not reused", contractHeldAnswerNotReused},
	{"stop: a request accepted before StopAccepting is waited for", contractWaitHandshakesServesAccepted},
	{"stop: the wait for requests is bounded", contractWaitHandshakesBounded},
}

// contractEngines are the engine names the contract runs on; "tls" is the
// std engine behind crypto/tls (startEngine).
var contractEngines = append(append([]string(nil), Engines...), "tls")

func TestEngineContract(t *testing.T) {
	for _, e := range contractEngines {
		t.Run(e, func(t *testing.T) {
			for _, row := range engineContract {
				t.Run(row.name, func(t *testing.T) { row.run(t, e) })
			}
		})
	}
}

func contractMessagesAndPlainHTTP(t *testing.T, engine string) {
	s, h := startEngine(t, engine, Options{MaxMessageSize: 1 << 20})
	conn, _ := wsDial(t, s, engine)
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
	res, err := httpClient(engine).Get(scheme(engine, "http") + s.Addr().String() + "/other")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(body) != "plain http" {
		t.Fatalf("http body %q", body)
	}
}

func contractGarbageGetsBadRequestAtOnce(t *testing.T, engine string) {
	// A handshake timeout far above the wait below: the answer must
	// come from the bytes, not from the timeout.
	s, _ := startEngine(t, engine, Options{HandshakeTimeout: time.Minute})
	for _, garbage := range []string{"\x16\x03\x01\x02\x00\x01", "hello world\r\n", "GET /ws FTP/1.1\r\n", "GET  /x"} {
		c := rawDial(t, s, engine)
		if _, err := c.Write([]byte(garbage)); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "HTTP/1.1 400 ") {
			t.Fatalf("%q: got %q, %v; want a 400 at once", garbage, line, err)
		}
	}
	// The start of a real request is not garbage.
	c := rawDial(t, s, engine)
	_, _ = c.Write([]byte("GET /other HTTP/1."))
	_, _ = c.Write([]byte("1\r\nHost: x\r\n\r\n"))
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if line, err := bufio.NewReader(c).ReadString('\n'); err != nil || !strings.HasPrefix(line, "HTTP/1.1 200 ") {
		t.Fatalf("valid request split in two: %q %v", line, err)
	}
}

func contractHandshakeTimeout(t *testing.T, engine string) {
	s, _ := startEngine(t, engine, Options{HandshakeTimeout: 200 * time.Millisecond})
	c := rawDial(t, s, engine)
	c.Write([]byte("GET /ws HTTP/1.1\r\nHost: x\r\n"))
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := bufio.NewReader(c).ReadByte()
	if err == nil {
		t.Fatal("server answered a half-sent request")
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("a half-sent request must be closed by the server")
	}
}

// A request head trickled one byte at a time must not keep the connection
// past the handshake timeout (every byte must not restart it).
func contractSlowlorisHeadCutOff(t *testing.T, engine string) {
	s, _ := startEngine(t, engine, Options{HandshakeTimeout: 500 * time.Millisecond, SweepInterval: 50 * time.Millisecond})
	c := rawDial(t, s, engine)
	head := "GET /ws HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("a", 2000)
	start := time.Now()
	for i := 0; i < len(head); i++ {
		if _, err := c.Write([]byte{head[i]}); err != nil {
			break // closed: good
		}
		if time.Since(start) > 10*time.Second {
			t.Fatal("a trickled head kept the connection for 10 s")
		}
		// The trickle itself: one byte every 20 ms.
		_ = c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		if _, err := c.Read(make([]byte, 1)); err != nil {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				break // closed by the server
			}
		}
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("cut off after %v, want about the 500 ms handshake timeout", el)
	}
}

func contractStalledFrameTimesOut(t *testing.T, engine string) {
	opts := Options{MaxMessageSize: 1 << 20, FrameTimeout: 300 * time.Millisecond, SweepInterval: 50 * time.Millisecond}
	s, h := startEngine(t, engine, opts)
	// The header and the first KB of a 70 KB frame.
	whole, _ := ws.CompileFrame(ws.MaskFrame(ws.NewTextFrame([]byte(strings.Repeat("x", 70<<10)))))
	// One complete fragment of a message that never ends.
	frag, _ := ws.CompileFrame(ws.MaskFrame(ws.NewFrame(ws.OpText, false, []byte("first"))))
	stalls := map[string][]byte{"partial frame": whole[:1024], "first fragment": frag}
	for name, stall := range stalls {
		conn, r := wsDial(t, s, engine)
		<-h.opened
		start := time.Now()
		if _, err := conn.Write(stall); err != nil {
			t.Fatal(err)
		}
		code := closedBy(t, conn, r, 5*time.Second)
		if code != frames.ClosePolicyViolation && code != 0 {
			t.Errorf("%s: close code %d", name, code)
		}
		if el := time.Since(start); el < opts.FrameTimeout {
			t.Errorf("%s: closed after %v, before the frame timeout", name, el)
		}
	}
	// A connection with nothing unfinished is not affected: it stays
	// past several frame timeouts and still delivers.
	conn, r := wsDial(t, s, engine)
	<-h.opened
	_ = ws.WriteFrame(conn, ws.MaskFrame(ws.NewTextFrame([]byte("whole"))))
	if got := <-h.msgs; got != "whole" {
		t.Fatalf("got %q", got)
	}
	_ = conn.SetReadDeadline(time.Now().Add(4 * opts.FrameTimeout))
	if _, err := ws.ReadFrame(r); err == nil || !isTimeout(err) {
		t.Fatalf("idle connection closed: %v", err)
	}
	_ = ws.WriteFrame(conn, ws.MaskFrame(ws.NewTextFrame([]byte("again"))))
	select {
	case got := <-h.msgs:
		if got != "again" {
			t.Fatalf("got %q", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("idle connection no longer delivers")
	}
}

// The handshake's clock and the frame clock share a word in the Conn:
// the upgrade stops the one before the other starts, so a WebSocket that
// says nothing for longer than the frame timeout stays open.
func contractIdleAfterUpgrade(t *testing.T, engine string) {
	opts := Options{FrameTimeout: 200 * time.Millisecond, SweepInterval: 20 * time.Millisecond}
	s, h := startEngine(t, engine, opts)
	conn, _ := wsDial(t, s, engine)
	<-h.opened
	time.Sleep(3 * opts.FrameTimeout) // the client's silence, not a synchronisation
	f, _ := ws.CompileFrame(ws.MaskFrame(ws.NewTextFrame([]byte("still here"))))
	if _, err := conn.Write(f); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-h.msgs:
		if string(m) != "still here" {
			t.Fatalf("got %q", m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the idle connection was cut off")
	}
}

// A client that keeps sending frames is never timed out, even when every
// read ends in the middle of a frame: the clock is per frame.
func contractSteadyFramesNotTimedOut(t *testing.T, engine string) {
	// A frame timeout well above the client's pace (25 ms), so that a
	// loaded machine does not stall the client for that long.
	opts := Options{FrameTimeout: time.Second, SweepInterval: 20 * time.Millisecond}
	s, h := startEngine(t, engine, opts)
	conn, r := wsDial(t, s, engine)
	<-h.opened
	f, _ := ws.CompileFrame(ws.MaskFrame(ws.NewTextFrame([]byte("0123456789"))))
	// Each write holds the end of one frame and the start of the next,
	// so every read leaves a frame unfinished, for 3 frame timeouts.
	next := append(append([]byte(nil), f[5:]...), f[:5]...)
	if _, err := conn.Write(f[:5]); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * opts.FrameTimeout)
	sent := 0
	for time.Now().Before(deadline) {
		time.Sleep(25 * time.Millisecond) // the client's pace, not a synchronisation
		if _, err := conn.Write(next); err != nil {
			t.Fatalf("write after %d frames: %v", sent, err)
		}
		sent++
	}
	if _, err := conn.Write(f[5:]); err != nil {
		t.Fatal(err)
	}
	sent++
	for i := 0; i < sent; i++ {
		select {
		case <-h.msgs:
		case <-time.After(5 * time.Second):
			t.Fatalf("%d of %d frames delivered", i, sent)
		}
	}
	_ = conn.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := ws.ReadFrame(r); !isTimeout(err) {
		t.Fatalf("connection closed: %v", err)
	}
}

func contractInvalidCloseCodeAnswered1002(t *testing.T, engine string) {
	s, h := startEngine(t, engine, Options{})
	cases := []struct {
		payload []byte
		want    uint16
	}{
		{closePayload(999), frames.CloseProtocolError},
		{closePayload(1004), frames.CloseProtocolError},
		{closePayload(1005), frames.CloseProtocolError},
		{closePayload(1006), frames.CloseProtocolError},
		{closePayload(1015), frames.CloseProtocolError},
		{closePayload(2000), frames.CloseProtocolError},
		{closePayload(5000), frames.CloseProtocolError},
		{[]byte{0x03}, frames.CloseProtocolError},                            // a 1-byte payload has no code
		{append(closePayload(1000), 0xff, 0xfe), frames.CloseInvalidPayload}, // reason not UTF-8
		{closePayload(1000), 1000},
		{closePayload(4001), 4001},
		{nil, 1000},
	}
	for _, tc := range cases {
		conn, r := wsDial(t, s, engine)
		<-h.opened
		if err := ws.WriteFrame(conn, ws.MaskFrame(ws.NewFrame(ws.OpClose, true, tc.payload))); err != nil {
			t.Fatal(err)
		}
		if got := closedBy(t, conn, r, 5*time.Second); got != tc.want {
			t.Errorf("close payload %x: server answered %d, want %d", tc.payload, got, tc.want)
		}
	}
}

// Fragments held plus a frame being received may not exceed the message
// size limit: the header of the frame that would go over is enough to close.
func contractPartialInputBoundedByMaxMessageSize(t *testing.T, engine string) {
	s, h := startEngine(t, engine, Options{MaxMessageSize: 1000, FrameTimeout: time.Minute})
	conn, r := wsDial(t, s, engine)
	<-h.opened
	first, _ := ws.CompileFrame(ws.MaskFrame(ws.NewFrame(ws.OpText, false, []byte(strings.Repeat("a", 600)))))
	next, _ := ws.CompileFrame(ws.MaskFrame(ws.NewFrame(ws.OpContinuation, true, []byte(strings.Repeat("b", 600)))))
	hlen := frames.HeaderSize(next[0], next[1])
	// Only the next frame's header: the server must not wait for its
	// payload to find out.
	if _, err := conn.Write(append(first, next[:hlen]...)); err != nil {
		t.Fatal(err)
	}
	if code := closedBy(t, conn, r, 5*time.Second); code != frames.CloseMessageTooBig {
		t.Fatalf("close code %d, want 1009", code)
	}
}

// A receiver that declares its protocol's frame type gets every data
// message with it, however the client framed it (anycable-go reads the
// payload whatever the frame type).
func contractDataOpCode(t *testing.T, engine string) {
	for _, want := range []ws.OpCode{ws.OpText, ws.OpBinary} {
		h := &opHandler{dataOp: want, ops: make(chan ws.OpCode, 10)}
		opts := Options{Addr: "127.0.0.1:0"}
		eng := engine
		if engine == "tls" {
			testTLSOnce.Do(func() { testTLSCert = selfSigned(t) })
			opts.TLS = &tls.Config{Certificates: []tls.Certificate{testTLSCert}}
			eng = "epoll"
		}
		s, err := New(eng, opts, h, &fasthttp.Server{Handler: func(*fasthttp.RequestCtx) {}}, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Listen(); err != nil {
			t.Fatal(err)
		}
		go s.Serve()
		conn, _ := wsDial(t, s, engine)
		for _, op := range []ws.OpCode{ws.OpText, ws.OpBinary} {
			if err := ws.WriteFrame(conn, ws.MaskFrame(ws.NewFrame(op, true, []byte(`{"command":"subscribe"}`)))); err != nil {
				t.Fatal(err)
			}
			select {
			case got := <-h.ops:
				if got != want {
					t.Errorf("sent %v, delivered as %v, want %v", op, got, want)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("%v frame not delivered", op)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = s.Shutdown(ctx)
		cancel()
	}
}

func contractMaxConnRefusesCleanly(t *testing.T, engine string) {
	s, h := startEngine(t, engine, Options{MaxConn: 1})
	wsDial(t, s, engine)
	<-h.opened
	d := ws.Dialer{Timeout: 5 * time.Second}
	if engine == "tls" {
		d.TLSConfig = &tls.Config{InsecureSkipVerify: true}
	}
	if _, _, _, err := d.Dial(context.Background(), scheme(engine, "ws")+s.Addr().String()+"/ws"); err == nil {
		t.Fatal("second connection must be refused")
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.Stats().Refused == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if s.Stats().Refused == 0 {
		t.Fatal("refusal not counted")
	}
}

// A plain HTTP keep-alive connection is a socket like any other: it counts
// against MaxConn for as long as it is open.
func contractPlainHTTPCountsAgainstMaxConn(t *testing.T, engine string) {
	s, h := startEngine(t, engine, Options{MaxConn: 1})
	c := rawDial(t, s, engine)
	if _, err := c.Write([]byte("GET /other HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(c)
	if line, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(line, "HTTP/1.1 200") {
		t.Fatalf("plain request: %q %v", line, err)
	}
	// The keep-alive connection stays open: a second socket is refused.
	d := ws.Dialer{Timeout: 5 * time.Second}
	if engine == "tls" {
		d.TLSConfig = &tls.Config{InsecureSkipVerify: true}
	}
	if conn, _, _, err := d.Dial(context.Background(), scheme(engine, "ws")+s.Addr().String()+"/ws"); err == nil {
		conn.Close()
		t.Fatal("a WebSocket was accepted next to a keep-alive HTTP connection with MaxConn 1")
	}
	// Once the HTTP connection is gone, a new one gets in.
	c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		conn, _, _, err := d.Dial(context.Background(), scheme(engine, "ws")+s.Addr().String()+"/ws")
		if err == nil {
			conn.Close()
			<-h.opened
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no connection accepted after the HTTP one closed: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// While AcceptPaused says so, connections wait in the backlog; they are
// served once it says otherwise, and the pause costs no busy loop.
func contractAcceptPaused(t *testing.T, engine string) {
	var mu sync.Mutex
	paused, calls := true, 0
	opts := Options{SweepInterval: 50 * time.Millisecond, AcceptPaused: func() bool {
		mu.Lock()
		defer mu.Unlock()
		calls++
		return paused
	}}
	s, h := startEngine(t, engine, opts)
	d := ws.Dialer{Timeout: 20 * time.Second}
	if engine == "tls" {
		d.TLSConfig = &tls.Config{InsecureSkipVerify: true}
	}
	dialed := make(chan error, 1)
	go func() {
		conn, _, _, err := d.Dial(context.Background(), scheme(engine, "ws")+s.Addr().String()+"/ws")
		if err == nil {
			t.Cleanup(func() { conn.Close() })
		}
		dialed <- err
	}()
	// Absence of an event can only be checked over a period.
	select {
	case c := <-h.opened:
		t.Fatalf("connection from %v served while accepting is paused", c.RemoteAddr())
	case err := <-dialed:
		t.Fatalf("dial finished while accepting is paused: %v", err)
	case <-time.After(700 * time.Millisecond):
	}
	mu.Lock()
	n := calls
	paused = false
	mu.Unlock()
	if n > 100 {
		t.Errorf("AcceptPaused called %d times in 700 ms: the engine spins while paused", n)
	}
	select {
	case err := <-dialed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("connection not served after the pause ended")
	}
	<-h.opened
}

func contractSlowClientIsCutOff(t *testing.T, engine string) {
	s, h := startEngine(t, engine, Options{MaxPending: 64 << 10, WriteTimeout: 10 * time.Second})
	conn, _ := wsDial(t, s, engine)
	// Keep the client's receive buffer small so the server's output
	// backs up quickly; the client never reads.
	nc := conn
	if tc, ok := conn.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	if tc, ok := nc.(*net.TCPConn); ok {
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
}

func contractQueueFlushKeepsOrder(t *testing.T, engine string) {
	s, h := startEngine(t, engine, Options{})
	_, r := wsDial(t, s, engine)
	c := <-h.opened
	waitIdle(t, c)
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
	// Several at once, behind the gathered frames and then on their own.
	if first, err := c.QueueFrames([][]byte{frame("5"), frame("6")}); first || err != nil {
		t.Fatalf("QueueFrames behind others: %v %v", first, err)
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	// (Not necessarily first: the TLS engine may still be writing.)
	if _, err := c.QueueFrames([][]byte{frame("7"), frame("8")}); err != nil {
		t.Fatalf("QueueFrames: %v", err)
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"1", "2", "3", "4", "5", "6", "7", "8"} {
		f, err := ws.ReadFrame(r)
		if err != nil || string(f.Payload) != want {
			t.Fatalf("got %q (%v), want %q", f.Payload, err, want)
		}
	}
}

func contractFlushMoreFramesThanIOVMax(t *testing.T, engine string) {
	s, h := startEngine(t, engine, Options{})
	_, r := wsDial(t, s, engine)
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
	for i := 0; i < n; i++ {
		if f, err := ws.ReadFrame(r); err != nil || string(f.Payload) != "m" {
			t.Fatalf("frame %d: %q %v", i, f.Payload, err)
		}
	}
}
