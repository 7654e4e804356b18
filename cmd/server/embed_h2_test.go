package server

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// h2Stream opens an SSE stream on the embedded HTTPS server over HTTP/2.
func h2Stream(t *testing.T, ctx context.Context, e *embedded) (*http.Response, func(string) string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.http.URL+"/sse-stream?stream=room", nil)
	res, err := e.http.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	if res.ProtoMajor != 2 || res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("%s %s %v", res.Proto, res.Status, res.Header)
	}
	if res.Header.Get("Connection") != "" {
		t.Fatalf("HTTP/1.1's Connection header over HTTP/2: %v", res.Header)
	}
	br := bufio.NewReader(res.Body)
	until := func(want string) string {
		t.Helper()
		text := ""
		for !strings.Contains(text, want) {
			line, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("stream ended: %v after %q", err, text)
			}
			text += line
		}
		rest, err := br.ReadString('\n') // the event's blank line
		if err != nil {
			return text + "\x00" + err.Error()
		}
		return text + rest
	}
	return res, until
}

func startH2(t *testing.T) *embedded {
	return startEmbedded(t, func(hs *httptest.Server) { hs.EnableHTTP2 = true; hs.StartTLS() }, "--sse")
}

// SSE over HTTP/2 (a browser's EventSource to an HTTPS server) is served
// on the request's goroutine: the stream, a broadcast, and the session
// gone once the client cancels.
func TestEmbeddedSSEHTTP2(t *testing.T) {
	e := startH2(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, until := h2Stream(t, ctx, e)
	until(`"type":"confirm_subscription"`)
	e.publish(t, "room", `"via h2"`)
	until(`via h2`)
	if n := e.srv.a.node.Stats().Clients.Load(); n != 1 {
		t.Fatalf("clients %d", n)
	}
	cancel()
	eventually(t, "the session to be gone", func() bool {
		return e.srv.a.node.Stats().Clients.Load() == 0 && e.srv.streams.active.Load() == 0
	})
}

// Shutdown ends an HTTP/2 stream with the disconnect event the event
// loop's streams get (docs/sse.md), then the end of the response.
func TestEmbeddedSSEHTTP2Shutdown(t *testing.T) {
	e := startH2(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	res, until := h2Stream(t, ctx, e)
	until(`"type":"confirm_subscription"`)
	done := make(chan error, 1)
	go func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- e.srv.Shutdown(sctx)
	}()
	got := until(`data: {"type":"disconnect","reason":"server_restart","reconnect":true}`)
	if !strings.Contains(got, "event: disconnect\n") {
		t.Fatalf("disconnect event: %q", got)
	}
	if rest, err := io.ReadAll(res.Body); err != nil || len(rest) != 0 {
		t.Fatalf("after the disconnect: %q %v", rest, err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// A POST naming its channels in the body, and a refused method, over
// HTTP/2: the answers the event loop gives.
func TestEmbeddedSSEHTTP2Answers(t *testing.T) {
	e := startH2(t)
	req, _ := http.NewRequest(http.MethodDelete, e.http.URL+"/sse-stream", nil)
	res, err := e.http.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.ProtoMajor != 2 || res.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("DELETE: %s %s", res.Proto, res.Status)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	body := `{"command":"subscribe","identifier":"{\"channel\":\"$pubsub\",\"stream_name\":\"room\"}"}`
	req, _ = http.NewRequestWithContext(ctx, http.MethodPost, e.http.URL+"/sse-stream", strings.NewReader(body))
	res, err = e.http.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.ProtoMajor != 2 || res.StatusCode != http.StatusOK {
		t.Fatalf("POST: %s %s", res.Proto, res.Status)
	}
	readUntilConfirmed(t, res.Body)
}

// The pending output is bounded while the goroutine cannot write it out:
// past ws_max_pending_size the core gets its too-slow error.
func TestStreamConnBound(t *testing.T) {
	c := newStreamConn(httptest.NewRequest(http.MethodGet, "/", nil), 100)
	if err := c.Write(make([]byte, 150)); err != nil {
		t.Fatal(err) // one frame into an empty buffer always goes
	}
	err := c.Write(make([]byte, 10))
	var slow interface{ TooSlow() bool }
	if !errors.As(err, &slow) || !slow.TooSlow() {
		t.Fatalf("over the bound: %v", err)
	}
}

// An HTTP/2 client that stops reading costs at most ws_max_pending_size
// of pending output and ws_write_timeout of a blocked write: it is cut
// off as too slow and its session ends.
func TestEmbeddedSSEHTTP2SlowClient(t *testing.T) {
	e := startEmbedded(t, func(hs *httptest.Server) { hs.EnableHTTP2 = true; hs.StartTLS() },
		"--sse", "--ws_max_pending_size=32768", "--ws_write_timeout=1")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tr := e.http.Client().Transport.(*http.Transport).Clone()
	tr.HTTP2 = &http.HTTP2Config{MaxReceiveBufferPerStream: 64 << 10, MaxReceiveBufferPerConnection: 64 << 10}
	defer tr.CloseIdleConnections()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.http.URL+"/sse-stream?stream=room", nil)
	res, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.ProtoMajor != 2 || res.StatusCode != http.StatusOK {
		t.Fatalf("%s %s", res.Proto, res.Status)
	}
	eventually(t, "the subscription", func() bool { return e.srv.a.node.Stats().Clients.Load() == 1 })
	// The client reads nothing from here on.
	chunk := strings.Repeat("x", 8<<10)
	for i := 0; i < 200 && e.srv.a.node.Stats().SlowClients.Load() == 0; i++ {
		e.publish(t, "room", chunk)
	}
	if e.srv.a.node.Stats().SlowClients.Load() == 0 {
		t.Fatal("the client was never cut off")
	}
	eventually(t, "the session to be gone", func() bool {
		return e.srv.a.node.Stats().Clients.Load() == 0 && e.srv.streams.active.Load() == 0
	})
}

// Handler serves SSE over HTTP/2 at --sse_path too; other paths it cannot
// hijack still get 505.
func TestEmbeddedHandlerSSEHTTP2(t *testing.T) {
	e := startH2(t)
	mux := http.NewServeMux()
	mux.Handle("/", e.srv.Handler())
	hs := httptest.NewUnstartedServer(mux)
	hs.EnableHTTP2 = true
	hs.StartTLS()
	defer hs.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, hs.URL+"/events?stream=room", nil)
	res, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.ProtoMajor != 2 || res.StatusCode != http.StatusOK {
		t.Fatalf("SSE: %s %s", res.Proto, res.Status)
	}
	readUntilConfirmed(t, res.Body)
	other, err := hs.Client().Get(hs.URL + "/health")
	if err != nil {
		t.Fatal(err)
	}
	other.Body.Close()
	if other.StatusCode != http.StatusHTTPVersionNotSupported {
		t.Fatalf("health over h2: %s", other.Status)
	}
}

// readUntilConfirmed reads an SSE response until the subscription is
// confirmed.
func readUntilConfirmed(t *testing.T, body io.Reader) {
	t.Helper()
	br := bufio.NewReader(body)
	for text := ""; !strings.Contains(text, "confirm_subscription"); {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("%v after %q", err, text)
		}
		text += line
	}
}
