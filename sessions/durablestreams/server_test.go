package durablestreams

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/broker/store/memory"
	"github.com/densecable/densecable/fanout"
	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/sessions"
	"github.com/densecable/densecable/sessions/streams"
)

// fakeConn is a held connection: what was answered or streamed.
type fakeConn struct {
	mu      sync.Mutex
	status  int
	headers []frames.Header
	body    strings.Builder
	closed  bool
	done    chan struct{}
	once    sync.Once
}

func newConn() *fakeConn { return &fakeConn{done: make(chan struct{})} }

func (c *fakeConn) end() { c.once.Do(func() { close(c.done) }) }

func (c *fakeConn) Respond(status int, h []frames.Header, body []byte) bool {
	c.mu.Lock()
	if c.status != 0 {
		c.mu.Unlock()
		panic("answered twice")
	}
	c.status, c.headers = status, h
	c.body.Write(body)
	c.mu.Unlock()
	c.end()
	return true
}

func (c *fakeConn) Write(b []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.body.Write(b)
	return nil
}
func (c *fakeConn) Queue(b []byte) (bool, error) { return true, c.Write(b) }
func (c *fakeConn) Flush() error                 { return nil }
func (c *fakeConn) Close(uint16, string) {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.end()
}
func (c *fakeConn) RemoteIP() string { return "127.0.0.1" }

func (c *fakeConn) text() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.body.String()
}

func (c *fakeConn) header(k string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, h := range c.headers {
		if h.Key == k {
			return h.Value
		}
	}
	return ""
}

func (c *fakeConn) wait(t *testing.T) *fakeConn {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(15 * time.Second):
		t.Fatal("no answer")
	}
	return c
}

type env struct {
	srv *Server
	pub *fanout.Publisher
	b   *memory.Broker
}

const secret = "s3cret"

func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	hub := fanout.New(fanout.Options{}, log)
	b := memory.New(broker.DefaultOptions(), nil, log)
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	pub := fanout.NewPublisher(fanout.PublisherDeps{Hub: hub, Broker: b}, log)
	node := sessions.NewNode(sessions.Options{}, sessions.Deps{Hub: hub, Publisher: pub, Broker: b}, log)
	opts.Path, opts.SkipAuth, opts.Secret = "/ds", true, secret
	if opts.PollInterval == 0 {
		opts.PollInterval = 10 * time.Second
	}
	if opts.SSETTL == 0 {
		opts.SSETTL = 10 * time.Second
	}
	opts.Tick = 5 * time.Millisecond
	e := &env{srv: New(opts, Deps{Node: node, Hub: hub, Broker: b}, log), pub: pub, b: b}
	t.Cleanup(func() {
		e.srv.Shutdown()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		node.Shutdown(ctx)
		hub.Shutdown()
		_ = b.Shutdown(ctx)
	})
	return e
}

func (e *env) get(uri string) *fakeConn {
	c := newConn()
	e.srv.Serve(c, "GET", &frames.Request{URI: uri}, nil)
	return c
}

func (e *env) publish(t *testing.T, stream, data string) {
	t.Helper()
	e.pub.HandleBroadcast(&broker.Publication{Stream: stream, Data: data})
}

func TestCatchUp(t *testing.T) {
	e := newEnv(t, Options{Public: true})
	for _, d := range []string{`{"n":1}`, `"two"`} {
		e.publish(t, "chat/1", d)
	}
	c := e.get("/ds/chat%2F1?offset=-1").wait(t)
	if c.status != 200 || c.text() != `[{"n":1},"two"]` || c.header("Stream-Up-To-Date") != "true" {
		t.Fatalf("catch-up: %d %q", c.status, c.text())
	}
	next := c.header("Stream-Next-Offset")
	if !strings.HasPrefix(next, "2::") {
		t.Fatalf("next offset %q", next)
	}
	c2 := e.get("/ds/chat/1?offset=1::" + strings.TrimPrefix(next, "2::")).wait(t)
	if c2.text() != `["two"]` || c2.header("Stream-Next-Offset") != next {
		t.Fatalf("from offset 1: %q next %q", c2.text(), c2.header("Stream-Next-Offset"))
	}
	for uri, want := range map[string]int{
		"/ds/chat/1?offset=1::zzzz":   410, // another epoch
		"/ds/chat/1?offset=1":         410, // no epoch
		"/ds/chat/1?offset=x::zzzz":   400,
		"/ds/chat/1?offset=-1&live=x": 400,
		"/ds/chat/1?live=sse":         400,
		"/ds/?offset=-1":              400,
	} {
		if got := e.get(uri).wait(t).status; got != want {
			t.Errorf("%s: %d, want %d", uri, got, want)
		}
	}
}

// A signed token opens the stream it names, and no other.
func TestSignedBinding(t *testing.T) {
	e := newEnv(t, Options{})
	tok := streams.SignStream(secret, "mine")
	if got := e.get("/ds/mine?offset=-1&signed=" + tok).wait(t).status; got != 200 {
		t.Fatalf("own stream: %d", got)
	}
	if got := e.get("/ds/other?offset=-1&signed=" + tok).wait(t).status; got != 401 {
		t.Fatalf("token for another stream: %d, want 401", got)
	}
	if got := e.get("/ds/mine?offset=-1").wait(t).status; got != 401 {
		t.Fatalf("unsigned without public streams: %d, want 401", got)
	}
}

func TestLongPoll(t *testing.T) {
	e := newEnv(t, Options{Public: true, PollInterval: 150 * time.Millisecond})
	e.publish(t, "s", `1`)
	first := e.get("/ds/s?offset=-1").wait(t)
	off := first.header("Stream-Next-Offset")
	// Nothing new: 204 after the interval.
	start := time.Now()
	c := e.get("/ds/s?live=long-poll&offset=" + off).wait(t)
	if c.status != 204 || time.Since(start) < 150*time.Millisecond || c.header("Stream-Next-Offset") != off {
		t.Fatalf("idle long-poll: %d after %v", c.status, time.Since(start))
	}
	// A publication while waiting.
	c = e.get("/ds/s?live=long-poll&offset=" + off)
	waitFor(t, "poller live", func() bool { return e.srv.Stats().PollClients.Load() == 1 })
	e.publish(t, "s", `{"x":2}`)
	c.wait(t)
	if c.status != 200 || c.text() != `[{"x":2}]` || !strings.HasPrefix(c.header("Stream-Next-Offset"), "2::") {
		t.Fatalf("live long-poll: %d %q %q", c.status, c.text(), c.header("Stream-Next-Offset"))
	}
	waitFor(t, "poller gone", func() bool { return e.srv.Stats().PollClients.Load() == 0 && e.srv.readerCount() == 0 })
}

func TestSSE(t *testing.T) {
	e := newEnv(t, Options{Public: true, SSETTL: 300 * time.Millisecond})
	e.publish(t, "s", `1`)
	c := e.get("/ds/s?live=sse&offset=-1")
	waitFor(t, "sse live", func() bool { return e.srv.Stats().SSEClients.Load() == 1 })
	e.publish(t, "s", `2`)
	c.wait(t) // the TTL ends it
	got := c.text()
	_, events, _ := strings.Cut(got, "\r\n\r\n")
	if !strings.HasPrefix(got, "HTTP/1.1 200 OK\r\n") || !strings.Contains(got, "Content-Type: text/event-stream\r\n") ||
		!strings.HasPrefix(events, "event: data\ndata:[1]\n\nevent: control\ndata:{\"streamCursor\":") ||
		!strings.Contains(got, "event: data\ndata:[2]\n\n") || strings.Count(got, `"upToDate":true}`) != 2 {
		t.Fatalf("sse: %q", got)
	}
	waitFor(t, "sse gone", func() bool { return e.srv.Stats().SSEClients.Load() == 0 && e.srv.readerCount() == 0 })
}

// Shutdown answers a waiting long-poll with 410 (the reference's answer).
func TestShutdownGone(t *testing.T) {
	e := newEnv(t, Options{Public: true})
	c := e.get("/ds/s?live=long-poll&offset=now")
	waitFor(t, "poller live", func() bool { return e.srv.Stats().PollClients.Load() == 1 })
	e.srv.Shutdown()
	if c.wait(t).status != 410 {
		t.Fatalf("at shutdown: %d", c.status)
	}
}

// A client that leaves while waiting leaves nothing behind.
func TestClientLeaves(t *testing.T) {
	e := newEnv(t, Options{Public: true})
	c := newConn()
	r := e.srv.Serve(c, "GET", &frames.Request{URI: "/ds/s?live=long-poll&offset=now"}, nil)
	waitFor(t, "poller live", func() bool { return e.srv.Stats().PollClients.Load() == 1 })
	r.OnClose()
	waitFor(t, "cleanup", func() bool { return e.srv.readerCount() == 0 && e.srv.Stats().PollClients.Load() == 0 })
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(15 * time.Second)
	for time.Now().Before(end) {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}
