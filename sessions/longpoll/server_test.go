package longpoll

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/fanout"
	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/rpcclient/rpcpb"
	"github.com/densecable/densecable/sessions"
	"github.com/densecable/densecable/sessions/actioncable"
	"github.com/densecable/densecable/sessions/streams"
)

// fakeResponse is a held request as the HTTP layer would hold it.
type fakeResponse struct {
	once   sync.Once
	status int
	header []frames.Header
	body   string
	done   chan struct{}
}

func newResponse() *fakeResponse { return &fakeResponse{done: make(chan struct{})} }

func (r *fakeResponse) Respond(status int, h []frames.Header, pollID string, body []byte) {
	if pollID != "" {
		h = append(h[:len(h):len(h)], frames.Header{Key: PollIDHeader, Value: pollID})
	}
	answered := true
	r.once.Do(func() {
		r.status, r.header, r.body = status, h, string(body)
		close(r.done)
		answered = false
	})
	if answered {
		panic("a request was answered twice")
	}
}

func (r *fakeResponse) pollID() string {
	for _, h := range r.header {
		if h.Key == PollIDHeader {
			return h.Value
		}
	}
	return ""
}

func (r *fakeResponse) wait(t *testing.T) *fakeResponse {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(15 * time.Second):
		t.Fatal("request never answered")
	}
	return r
}

func (r *fakeResponse) answered() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

type auth struct{ reject bool }

func (a auth) Authenticate(_ string, req *frames.Request) sessions.AuthResult {
	if a.reject || strings.Contains(req.URI, "reject") {
		return sessions.AuthResult{Outcome: sessions.AuthReject, Reason: "unauthorized"}
	}
	return sessions.AuthResult{Outcome: sessions.AuthOK, Identifiers: `{"u":1}`}
}

type env struct {
	stop sync.Once
	srv  *Server
	node *sessions.Node
	pub  *fanout.Publisher
}

func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	return newEnvWith(t, opts, sessions.Options{})
}

func newEnvWith(t *testing.T, opts Options, nodeOpts sessions.Options) *env {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	hub := fanout.New(fanout.Options{}, log)
	pub := fanout.NewPublisher(fanout.PublisherDeps{Hub: hub}, log)
	node := sessions.NewNode(nodeOpts, sessions.Deps{
		Hub: hub, Publisher: pub, Authenticators: []sessions.Authenticator{auth{}},
		Router: streams.New(streams.Options{Public: true}, log),
	}, log)
	if opts.Interval == 0 {
		opts.Interval = 10 * time.Second
	}
	if opts.FlushInterval == 0 {
		opts.FlushInterval = 20 * time.Millisecond
	}
	if opts.KeepaliveTimeout == 0 {
		opts.KeepaliveTimeout = 10 * time.Second
	}
	if opts.MaxRequestSize == 0 {
		opts.MaxRequestSize = 64 << 10
	}
	if opts.MaxBuffer == 0 {
		opts.MaxBuffer = 1 << 20
	}
	opts.Tick = 5 * time.Millisecond
	e := &env{srv: New(opts, node, actioncable.Default(), log), node: node, pub: pub}
	t.Cleanup(func() {
		e.shutdown()
		e.srv.Shutdown()
		hub.Shutdown()
	})
	return e
}

func (e *env) shutdown() {
	e.stop.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		e.node.Shutdown(ctx)
	})
}

func (e *env) post(uri, id, body string) (*fakeResponse, *Poll) {
	req := &frames.Request{URI: uri, Host: "localhost"}
	if id != "" {
		req.Headers = append(req.Headers, frames.Header{Key: "x-anycable-poll-id", Value: id})
	}
	r := newResponse()
	p := e.srv.Serve(&Request{Method: http.MethodPost, Req: req, Body: []byte(body), RemoteIP: "127.0.0.1"}, r)
	return r, p
}

const sub = `{"command":"subscribe","identifier":"{\"channel\":\"$pubsub\",\"stream_name\":\"chat\"}"}` + "\n"

// The documented cycle: connect with a command, get the welcome and the
// confirmation with the poll id; a broadcast reaches the next poll.
func TestCycle(t *testing.T) {
	e := newEnv(t, Options{})
	r, _ := e.post("/lp", "", sub)
	r.wait(t)
	id := r.pollID()
	if r.status != 200 || id == "" {
		t.Fatalf("connect: %d id %q", r.status, id)
	}
	got := r.body
	if !strings.HasPrefix(got, `{"type":"welcome"`) {
		// the confirmation may come in the next poll
		t.Fatalf("first response %q: want the welcome first", got)
	}
	for !strings.Contains(got, "confirm_subscription") {
		r2, _ := e.post("/lp", id, "")
		got = r2.wait(t).body
	}
	r3, _ := e.post("/lp", id, "")
	if r3.answered() {
		t.Fatalf("empty poll answered at once: %d %q", r3.status, r3.body)
	}
	e.pub.HandleBroadcast(&broker.Publication{Stream: "chat", Data: `{"text":"hi"}`})
	r3.wait(t)
	if r3.status != 200 || !strings.Contains(r3.body, `"message":{"text":"hi"}`) || !strings.HasSuffix(r3.body, "\n") {
		t.Fatalf("broadcast poll: %d %q", r3.status, r3.body)
	}
	if r3.pollID() != id {
		t.Fatalf("poll id %q, want %q", r3.pollID(), id)
	}
}

// A rejected connection gets 401 with the disconnect message; the id is
// not valid afterwards.
func TestRejected(t *testing.T) {
	e := newEnv(t, Options{})
	r, _ := e.post("/lp?reject=1", "", sub)
	r.wait(t)
	if r.status != 401 || !strings.Contains(r.body, `"reason":"unauthorized"`) {
		t.Fatalf("rejected: %d %q", r.status, r.body)
	}
	waitFor(t, "session removed", func() bool { return e.srv.Clients() == 0 })
}

// An empty poll ends with 200 and no body after --poll_interval.
func TestPollInterval(t *testing.T) {
	e := newEnv(t, Options{Interval: 100 * time.Millisecond})
	r, _ := e.post("/lp", "", "")
	id := r.wait(t).pollID()
	start := time.Now()
	r2, _ := e.post("/lp", id, "")
	r2.wait(t)
	if r2.status != 200 || r2.body != "" || time.Since(start) < 100*time.Millisecond {
		t.Fatalf("empty poll: %d %q after %v", r2.status, r2.body, time.Since(start))
	}
}

// A session with no request held expires after the keep-alive: the next
// request is 401, Disconnect ran (the session left the node).
func TestExpiry(t *testing.T) {
	e := newEnv(t, Options{KeepaliveTimeout: 50 * time.Millisecond})
	r, _ := e.post("/lp", "", "")
	id := r.wait(t).pollID()
	waitFor(t, "expiry", func() bool { return e.srv.Clients() == 0 })
	waitFor(t, "session closed in the core", func() bool { return e.node.Stats().Clients.Load() == 0 })
	r2, _ := e.post("/lp", id, "")
	if r2.wait(t).status != 401 || e.srv.StaleRequests() != 1 {
		t.Fatalf("after expiry: %d stale %d", r2.status, e.srv.StaleRequests())
	}
}

// A held request keeps the session alive past the keep-alive timeout.
func TestHeldKeepsAlive(t *testing.T) {
	e := newEnv(t, Options{KeepaliveTimeout: 30 * time.Millisecond, Interval: 300 * time.Millisecond})
	r, _ := e.post("/lp", "", "")
	id := r.wait(t).pollID()
	r2, _ := e.post("/lp", id, "")
	r2.wait(t)
	if r2.status != 200 {
		t.Fatalf("held poll: %d", r2.status)
	}
	r3, _ := e.post("/lp", id, "")
	if r3.wait(t).status != 200 {
		t.Fatalf("poll after a held one: %d", r3.status)
	}
}

// Bad input: each gets its status and leaves no session behind.
func TestBadInput(t *testing.T) {
	e := newEnv(t, Options{MaxRequestSize: 100})
	for _, c := range []struct {
		method, id, body string
		status           int
	}{
		{"GET", "", "", 405},
		{"POST", "", strings.Repeat(" ", 101), 413},
		{"POST", "", "garbage\n", 400},
		{"POST", "", `{"command":"subscribe"` + "\n", 400},
		{"POST", "", "[1]\n", 400},
		{"POST", "nope", "", 401},
		{"POST", strings.Repeat("x", 1000), "", 401},
	} {
		req := &frames.Request{URI: "/lp"}
		if c.id != "" {
			req.Headers = []frames.Header{{Key: "x-anycable-poll-id", Value: c.id}}
		}
		r := newResponse()
		e.srv.Serve(&Request{Method: c.method, Req: req, Body: []byte(c.body)}, r)
		if r.wait(t).status != c.status {
			t.Errorf("%s %q: %d, want %d", c.method, c.body, r.status, c.status)
		}
	}
	if e.srv.Clients() != 0 {
		t.Fatalf("%d sessions after bad requests", e.srv.Clients())
	}
}

// Output past the buffer bound closes the session as too slow: the next
// poll gets the buffered output and the disconnect, then the id is gone.
func TestTooSlow(t *testing.T) {
	e := newEnv(t, Options{MaxBuffer: 2048})
	r, _ := e.post("/lp", "", sub)
	id := r.wait(t).pollID()
	body := r.body
	for !strings.Contains(body, "confirm_subscription") {
		r2, _ := e.post("/lp", id, "")
		body = r2.wait(t).body
	}
	big := `"` + strings.Repeat("x", 500) + `"`
	for i := 0; i < 10; i++ {
		e.pub.HandleBroadcast(&broker.Publication{Stream: "chat", Data: big})
	}
	waitFor(t, "too slow", func() bool { return e.node.Stats().SlowClients.Load() == 1 })
	r3, _ := e.post("/lp", id, "")
	r3.wait(t)
	if r3.status != 200 || !strings.Contains(r3.body, `"reason":"too_slow"`) || len(r3.body) > 2048+200 {
		t.Fatalf("too slow poll: %d %d bytes", r3.status, len(r3.body))
	}
	r4, _ := e.post("/lp", id, "")
	if r4.wait(t).status != 401 {
		t.Fatalf("after too slow: %d", r4.status)
	}
}

// Shutdown: a held request gets the disconnect at once.
func TestShutdownAnswersHeld(t *testing.T) {
	e := newEnv(t, Options{})
	r, _ := e.post("/lp", "", "")
	id := r.wait(t).pollID()
	r2, _ := e.post("/lp", id, "")
	done := make(chan struct{})
	go func() { e.shutdown(); close(done) }()
	r2.wait(t)
	<-done
	if !strings.Contains(r2.body, `"reason":"server_restart"`) {
		t.Fatalf("held at shutdown: %d %q", r2.status, r2.body)
	}
}

// A second request with the same id answers the first one (empty) and is
// held instead; a cancelled request starts the keep-alive.
func TestSecondPollAndCancel(t *testing.T) {
	e := newEnv(t, Options{KeepaliveTimeout: 50 * time.Millisecond})
	r, _ := e.post("/lp", "", "")
	id := r.wait(t).pollID()
	r2, p := e.post("/lp", id, "")
	r3, _ := e.post("/lp", id, "")
	if r2.wait(t).status != 200 || r2.body != "" || r3.answered() {
		t.Fatalf("first of two polls: %d %q; second answered %v", r2.status, r2.body, r3.answered())
	}
	e.srv.Cancel(p, r3)
	waitFor(t, "expiry after cancel", func() bool { return e.srv.Clients() == 0 })
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

// Long-poll sessions get no pings: with pings every 100 ms an idle poll
// is still held until --poll_interval and ends empty.
func TestNoPings(t *testing.T) {
	e := newEnvWith(t, Options{Interval: 700 * time.Millisecond}, sessions.Options{PingInterval: 100 * time.Millisecond})
	r, _ := e.post("/lp", "", "")
	id := r.wait(t).pollID()
	start := time.Now()
	r2, _ := e.post("/lp", id, "")
	r2.wait(t)
	if r2.body != "" || time.Since(start) < 700*time.Millisecond {
		t.Fatalf("idle poll answered after %v with %q", time.Since(start), r2.body)
	}
}

// slowConnect is an RPC application whose Connect waits for gate: the
// commands of the opening request queue up behind it.
type slowConnect struct{ gate chan struct{} }

func (a slowConnect) Connect(context.Context, string, *rpcpb.ConnectionRequest) (*rpcpb.ConnectionResponse, error) {
	<-a.gate
	return &rpcpb.ConnectionResponse{Status: rpcpb.Status_SUCCESS, Identifiers: "{}"}, nil
}

func (slowConnect) Command(context.Context, string, *rpcpb.CommandMessage) (*rpcpb.CommandResponse, error) {
	return &rpcpb.CommandResponse{Status: rpcpb.Status_SUCCESS}, nil
}

func (slowConnect) Disconnect(context.Context, string, *rpcpb.DisconnectRequest) (*rpcpb.DisconnectResponse, error) {
	return &rpcpb.DisconnectResponse{Status: rpcpb.Status_SUCCESS}, nil
}

// newSlowConnectServer is a long-poll server on a node whose RPC Connect
// never answers while the test runs (slowConnect), with the given flush
// interval and clock tick; it is shut down when the test ends.
func newSlowConnectServer(t *testing.T, flush, tick time.Duration) *Server {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	hub := fanout.New(fanout.Options{}, log)
	gate := make(chan struct{})
	node := sessions.NewNode(sessions.Options{}, sessions.Deps{Hub: hub, RPC: slowConnect{gate}}, log)
	srv := New(Options{Interval: 10 * time.Second, FlushInterval: flush, KeepaliveTimeout: 10 * time.Second,
		MaxRequestSize: 1 << 20, MaxBuffer: 1 << 20, Tick: tick}, node, actioncable.Default(), log)
	t.Cleanup(func() {
		close(gate)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		node.Shutdown(ctx)
		srv.Shutdown()
		hub.Shutdown()
	})
	return srv
}

// A body with more commands than a session may queue closes the session
// with too_many_requests (as on a WebSocket), without blocking anything
// (the refusal closes the poll from inside Receive).
func TestTooManyCommands(t *testing.T) {
	srv := newSlowConnectServer(t, 10*time.Millisecond, 5*time.Millisecond)
	r := newResponse()
	srv.Serve(&Request{Method: "POST", Req: &frames.Request{URI: "/lp"}, Body: []byte(strings.Repeat(sub, 600))}, r)
	r.wait(t)
	if !strings.Contains(r.body, `"reason":"too_many_requests"`) {
		t.Fatalf("flood: %d %q", r.status, r.body)
	}
	waitFor(t, "session removed", func() bool { return srv.Clients() == 0 })
}

// Output written while the session is still being authenticated waits for
// the outcome: a rejection's message (written before the core closes the
// session) is answered together with its 401, never alone with a 200,
// however short the flush interval.
func TestNoAnswerBeforeAuthentication(t *testing.T) {
	srv := newSlowConnectServer(t, time.Millisecond, time.Millisecond)
	r := newResponse()
	p := srv.Serve(&Request{Method: "POST", Req: &frames.Request{URI: "/lp"}}, r)
	// What the core does for a rejection: the message, then the close.
	if err := p.Write([]byte(`{"type":"disconnect","reason":"unauthorized","reconnect":false}` + "\n")); err != nil {
		t.Fatal(err)
	}
	// The flush is not armed, so no clock tick can answer the request.
	p.mu.Lock()
	armed := p.flushAt != 0
	p.mu.Unlock()
	if armed || r.answered() {
		t.Fatalf("output due before the session was authenticated (answered: %v %d %q)", r.answered(), r.status, r.body)
	}
	p.Close(http.StatusUnauthorized, "")
	r.wait(t)
	if r.status != http.StatusUnauthorized || !strings.Contains(r.body, `"reason":"unauthorized"`) {
		t.Fatalf("rejection: %d %q", r.status, r.body)
	}
}
