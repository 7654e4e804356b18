package server

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/densecable/densecable/cmd/config"
)

// embedded is a densecable Server mounted on a ServeMux next to a route
// of the program's own, as cmd/embedded-cable does.
type embedded struct {
	srv       *Server
	http      *httptest.Server
	broadcast string // the HTTP broadcast URL (its own port)
}

func startEmbedded(t *testing.T, start func(*httptest.Server), flags ...string) *embedded {
	t.Helper()
	bport := freePort(t)
	args := append([]string{"--ignore-config-path", "--norpc", "--public", "--broadcast_adapter=http",
		fmt.Sprintf("--http_broadcast_port=%d", bport), "--host=127.0.0.1"}, flags...)
	cfg, action, err := config.Parse(args, func(string) string { return "" }, io.Discard)
	if err != nil || action != config.ActionRun {
		t.Fatalf("config: %v", err)
	}
	level := slog.LevelError
	if os.Getenv("DENSECABLE_TEST_DEBUG") != "" {
		level = slog.LevelDebug
	}
	srv, err := New(cfg, WithLogger(newLogger(os.Stderr, level.String(), "text")))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "hello from the program") })
	mux.Handle("/cable", srv.WebSocketHandler())
	if cfg.SSE.Enabled {
		h, err := srv.SSEHandler()
		if err != nil {
			t.Fatal(err)
		}
		mux.Handle("/sse-stream", h) // not --sse_path: the mount path is free
	}
	hs := httptest.NewUnstartedServer(mux)
	start(hs)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		hs.Close()
	})
	return &embedded{srv: srv, http: hs, broadcast: fmt.Sprintf("http://127.0.0.1:%d/_broadcast", bport)}
}

func (e *embedded) wsURL() string { return "ws" + strings.TrimPrefix(e.http.URL, "http") + "/cable" }

func (e *embedded) publish(t *testing.T, stream, data string) {
	t.Helper()
	body := fmt.Sprintf(`{"stream":%q,"data":%q}`, stream, data)
	res, err := http.Post(e.broadcast, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode/100 != 2 {
		t.Fatalf("broadcast: %s", res.Status)
	}
}

const pubsubRoom = `{"channel":"$pubsub","stream_name":"room"}`

// welcomeSubscribe runs Action Cable's welcome and a subscription to room.
func welcomeSubscribe(c *client) {
	c.t.Helper()
	if got := c.read(); !strings.Contains(got, `"type":"welcome"`) {
		c.t.Fatalf("welcome: %s", got)
	}
	c.send(map[string]string{"command": "subscribe", "identifier": pubsubRoom})
	if got := c.read(); !strings.Contains(got, `"type":"confirm_subscription"`) {
		c.t.Fatalf("subscription: %s", got)
	}
}

// Through the mux: the program's route, then Action Cable's welcome,
// subscribe and a broadcast on a hijacked connection; 200 connections do
// not add goroutines (they are on the event loop, not net/http's).
func TestEmbeddedActionCable(t *testing.T) {
	e := startEmbedded(t, (*httptest.Server).Start)
	res, err := http.Get(e.http.URL + "/hello")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(b) != "hello from the program" {
		t.Fatalf("own route: %q", b)
	}
	c := dial(t, e.wsURL())
	welcomeSubscribe(c)
	e.publish(t, "room", `{"text":"hi"}`)
	if got := c.read(); got != `{"identifier":"{\"channel\":\"$pubsub\",\"stream_name\":\"room\"}","message":{"text":"hi"}}` {
		t.Fatalf("broadcast: %s", got)
	}

	base := settled()
	const n = 200
	for i := 0; i < n; i++ {
		c := dial(t, e.wsURL())
		if got := c.read(); !strings.Contains(got, `"type":"welcome"`) {
			t.Fatalf("welcome %d: %s", i, got)
		}
	}
	// A goroutine per connection would add n; the slack is for pools
	// (RPC-less workers, the broadcast server) that grow on their own.
	if g := settled(); g > base+n/4 {
		t.Fatalf("goroutines grew from %d to %d with %d embedded connections", base, g, n)
	}
}

// settled counts goroutines once their number stops changing (net/http's
// connection goroutines end after the hijack).
func settled() int {
	g := runtime.NumGoroutine()
	for i := 0; i < 400; i++ {
		time.Sleep(5 * time.Millisecond)
		n := runtime.NumGoroutine()
		if n == g {
			return n
		}
		g = n
	}
	return g
}

// An HTTPS server's hijacked *tls.Conn cannot go to the event loop: the
// TLS engine's goroutine path serves it, with the same protocol.
func TestEmbeddedTLS(t *testing.T) {
	e := startEmbedded(t, (*httptest.Server).StartTLS)
	d := ws.Dialer{Timeout: 5 * time.Second, TLSConfig: &tls.Config{InsecureSkipVerify: true}}
	conn, br, _, err := d.Dial(context.Background(), e.wsURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if br == nil {
		br = bufio.NewReader(conn)
	}
	c := &client{t: t, conn: conn, rd: br}
	welcomeSubscribe(c)
	e.publish(t, "room", `"over tls"`)
	if got := c.read(); !strings.Contains(got, `"message":"over tls"`) {
		t.Fatalf("broadcast: %s", got)
	}
	// Counted as the event loop's connections are (clients_num,
	// data_sent_total).
	if st := e.srv.a.ws.Stats(); st.Active != 1 || st.BytesSent == 0 || e.srv.a.node.Stats().Clients.Load() != 1 {
		t.Fatalf("stats %+v, clients %d", st, e.srv.a.node.Stats().Clients.Load())
	}
}

// HTTP/2 cannot be hijacked: the answer is the reference's to a request
// that is not an upgrade.
func TestEmbeddedHTTP2Refused(t *testing.T) {
	e := startEmbedded(t, func(hs *httptest.Server) { hs.EnableHTTP2 = true; hs.StartTLS() })
	res, err := e.http.Client().Get(e.http.URL + "/cable")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.ProtoMajor != 2 || res.StatusCode != http.StatusBadRequest || res.Header.Get("Sec-Websocket-Version") != "13" {
		t.Fatalf("%s %s %v", res.Proto, res.Status, res.Header)
	}
}

// The SSE handler, mounted on a path of the program's choosing, streams a
// broadcast.
func TestEmbeddedSSE(t *testing.T) {
	e := startEmbedded(t, (*httptest.Server).Start, "--sse")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.http.URL+"/sse-stream?stream=room", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("%s %v", res.Status, res.Header)
	}
	br := bufio.NewReader(res.Body)
	until := func(want string) {
		t.Helper()
		text := ""
		for !strings.Contains(text, want) {
			line, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("stream ended: %v after %q", err, text)
			}
			text += line
		}
	}
	until(`"type":"confirm_subscription"`)
	e.publish(t, "room", `"via sse"`)
	until(`via sse`)
}

// Shutdown tells embedded clients as the command does on SIGTERM.
func TestEmbeddedShutdown(t *testing.T) {
	e := startEmbedded(t, (*httptest.Server).Start)
	c := dial(t, e.wsURL())
	welcomeSubscribe(c)
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- e.srv.Shutdown(ctx)
	}()
	if got := c.read(); got != `{"type":"disconnect","reason":"server_restart","reconnect":true}` {
		t.Fatalf("shutdown message: %s", got)
	}
	if code, reason := c.expectClose(); code != 1001 || reason != "Server restart" {
		t.Fatalf("close %d %q", code, reason)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Afterwards the handler answers 503 (the program may still serve).
	res, err := http.Get(e.http.URL + "/cable")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("after shutdown: %s", res.Status)
	}
}

// Handler serves the command's other main-port paths by their own path
// (here the health check); before Start the handlers answer 503.
func TestEmbeddedHandler(t *testing.T) {
	e := startEmbedded(t, (*httptest.Server).Start)
	mux := http.NewServeMux()
	mux.Handle("/", e.srv.Handler())
	hs := httptest.NewServer(mux)
	defer hs.Close()
	res, err := http.Get(hs.URL + "/health")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("health through Handler: %s", res.Status)
	}
	c := dial(t, "ws"+strings.TrimPrefix(hs.URL, "http")+"/cable")
	welcomeSubscribe(c)

	idle, err := New(config.Default(), WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	idle.WebSocketHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/cable", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("before Start: %d", rec.Code)
	}
	_ = idle.Shutdown(context.Background())
}
