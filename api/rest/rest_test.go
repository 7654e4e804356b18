package rest

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/broker/brokertest"
)

// The REST API as documented (docs/anycable-go/api.md, WIRE-FACTS §15):
// POST <api_path>/publish with the broadcast payload (201/401/422/501) and
// GET <api_path>/presence/<stream>/users (200/401/404/422/501), both behind
// "Authorization: Bearer <api_secret>" when a secret is set.

// fakePresence is a PresenceReader that records the streams asked for.
type fakePresence struct {
	mu      sync.Mutex
	streams []string
	info    map[string]*broker.PresenceInfo
	err     error
}

func (p *fakePresence) PresenceInfo(_ context.Context, stream string) (*broker.PresenceInfo, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.streams = append(p.streams, stream)
	if p.err != nil {
		return nil, p.err
	}
	if info := p.info[stream]; info != nil {
		return info, nil
	}
	return &broker.PresenceInfo{}, nil
}

func (p *fakePresence) asked() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.streams...)
}

// render is a stand-in for sessions.PresenceInfoJSON: the handler must send
// whatever RenderPresence makes of the reader's answer.
func render(info *broker.PresenceInfo) []byte {
	var b strings.Builder
	b.WriteString("total=")
	b.WriteByte(byte('0' + info.Total))
	for _, r := range info.Records {
		b.WriteString(" " + r.ID + ":" + string(r.Info))
	}
	return []byte(b.String())
}

type env struct {
	client   *fasthttp.Client
	rec      *brokertest.Recorder
	presence *fakePresence
	stats    *broker.Stats
	logs     *brokertest.Logs
}

// start serves New(opts) on an in-memory listener. A nil reader is passed
// as a nil interface (no broker), as cmd/densecable does.
func start(t *testing.T, opts Options, withPresence bool) *env {
	t.Helper()
	e := &env{rec: brokertest.NewRecorder(), stats: &broker.Stats{}}
	opts.Stats = e.stats
	if opts.RenderPresence == nil {
		opts.RenderPresence = render
	}
	var reader PresenceReader
	if withPresence {
		e.presence = &fakePresence{info: map[string]*broker.PresenceInfo{}}
		reader = e.presence
	}
	log, logs := brokertest.NewLogger()
	e.logs = logs
	ln := fasthttputil.NewInmemoryListener()
	srv := &fasthttp.Server{Handler: New(opts, e.rec, reader, log)}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	e.client = &fasthttp.Client{Dial: func(string) (net.Conn, error) { return ln.Dial() }}
	return e
}

type reply struct {
	status      int
	body        string
	contentType string
	headers     map[string]string
}

func (e *env) do(t *testing.T, method, uri, auth, body string) reply {
	t.Helper()
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI("http://api" + uri)
	req.Header.SetMethod(method)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Origin", "https://app.example")
	if body != "" {
		req.SetBodyString(body)
	}
	if err := e.client.Do(req, resp); err != nil {
		t.Fatalf("%s %s: %v", method, uri, err)
	}
	r := reply{status: resp.StatusCode(), body: string(resp.Body()), contentType: string(resp.Header.ContentType()), headers: map[string]string{}}
	for _, k := range resp.Header.PeekKeys() {
		r.headers[string(k)] = string(resp.Header.PeekBytes(k))
	}
	return r
}

const pub = `{"stream":"chat/1","data":"{\"message\":\"Hello\"}","meta":{"exclude_socket":"sid-1"}}`

func TestPublishStatusCodes(t *testing.T) {
	const secret = "s3cret"
	cases := []struct {
		name      string
		secret    string
		method    string
		uri       string
		auth      string
		body      string
		status    int
		delivered int
	}{
		{"authorized", secret, "POST", "/api/publish", "Bearer " + secret, pub, 201, 1},
		{"batch", secret, "POST", "/api/publish", "Bearer " + secret, `[` + pub + `,{"stream":"chat/2","data":"2"}]`, 201, 2},
		{"no secret, no header", "", "POST", "/api/publish", "", pub, 201, 1},
		{"missing token", secret, "POST", "/api/publish", "", pub, 401, 0},
		{"wrong token", secret, "POST", "/api/publish", "Bearer s3creT", pub, 401, 0},
		{"token without Bearer", secret, "POST", "/api/publish", secret, pub, 401, 0},
		{"token prefix", secret, "POST", "/api/publish", "Bearer s3cre", pub, 401, 0},
		{"GET", secret, "GET", "/api/publish", "Bearer " + secret, "", 422, 0},
		{"PUT", secret, "PUT", "/api/publish", "Bearer " + secret, pub, 422, 0},
		// The broadcast semantics: a malformed body is logged, counted as
		// failed and answered 201 (anycable-go does the same).
		{"malformed body", secret, "POST", "/api/publish", "Bearer " + secret, `{"stream":`, 201, 0},
		{"unknown path", secret, "POST", "/api/publishx", "Bearer " + secret, pub, 404, 0},
		{"outside the API", secret, "POST", "/publish", "Bearer " + secret, pub, 404, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t, Options{Path: "/api", Secret: tc.secret}, true)
			r := e.do(t, tc.method, tc.uri, tc.auth, tc.body)
			if r.status != tc.status {
				t.Fatalf("status = %d, want %d (body %q)", r.status, tc.status, r.body)
			}
			// The publish handler delivers before it answers.
			if n := len(e.rec.Publications()); n != tc.delivered {
				t.Fatalf("delivered %d publications, want %d", n, tc.delivered)
			}
			if got := e.stats.Publications.Load(); got != uint64(tc.delivered) {
				t.Fatalf("publications counter = %d, want %d", got, tc.delivered)
			}
			if len(e.presence.asked()) != 0 {
				t.Fatalf("publish asked for presence: %v", e.presence.asked())
			}
		})
	}
}

func TestPublishDeliversThePublication(t *testing.T) {
	e := start(t, Options{Path: "/api"}, false)
	if r := e.do(t, "POST", "/api/publish", "", pub); r.status != 201 {
		t.Fatalf("status %d", r.status)
	}
	got := e.rec.Publications()
	want := broker.Publication{Stream: "chat/1", Data: `{"message":"Hello"}`, Meta: broker.Meta{ExcludeSocket: "sid-1"}}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("publications = %+v, want [%+v]", got, want)
	}
	if r := e.do(t, "POST", "/api/publish", "", `nope`); r.status != 201 {
		t.Fatalf("malformed: status %d", r.status)
	}
	if e.stats.FailedBroadcast.Load() != 1 {
		t.Fatalf("failed broadcasts = %d, want 1", e.stats.FailedBroadcast.Load())
	}
}

func TestPublishRemoteCommand(t *testing.T) {
	e := start(t, Options{Path: "/api"}, false)
	body := `{"command":"disconnect","payload":{"identifier":"{\"user\":1}","reconnect":false}}`
	if r := e.do(t, "POST", "/api/publish", "", body); r.status != 201 {
		t.Fatalf("status %d", r.status)
	}
	cmds := e.rec.Commands()
	if len(cmds) != 1 || cmds[0] != (broker.RemoteCommand{Command: "disconnect", Identifier: `{"user":1}`}) {
		t.Fatalf("commands = %+v", cmds)
	}
}

// A broker that cannot take the publication (no history storage, say)
// makes publish answer 501.
func TestPublishBrokerFailureIs501(t *testing.T) {
	e := start(t, Options{Path: "/api"}, false)
	e.rec.SetFail(errors.New("history unavailable"))
	if r := e.do(t, "POST", "/api/publish", "", pub); r.status != 501 {
		t.Fatalf("status = %d, want 501", r.status)
	}
}

func TestPresenceStatusCodes(t *testing.T) {
	const secret = "s3cret"
	ok := "Bearer " + secret
	cases := []struct {
		name   string
		method string
		uri    string
		auth   string
		status int
		asked  string // the stream the reader must have been asked for
	}{
		{"authorized", "GET", "/api/presence/room/users", ok, 200, "room"},
		{"escaped stream name", "GET", "/api/presence/chat%2F1/users", ok, 200, "chat/1"},
		{"missing token", "GET", "/api/presence/room/users", "", 401, ""},
		{"wrong token", "GET", "/api/presence/room/users", "Bearer nope", 401, ""},
		{"POST", "POST", "/api/presence/room/users", ok, 422, ""},
		{"DELETE", "DELETE", "/api/presence/room/users", ok, 422, ""},
		{"no /users", "GET", "/api/presence/room", ok, 404, ""},
		{"empty stream", "GET", "/api/presence//users", ok, 404, ""},
		{"trailing segment", "GET", "/api/presence/room/users/x", ok, 404, ""},
		{"no stream segment", "GET", "/api/presence/users", ok, 404, ""},
		{"unknown endpoint", "GET", "/api/streams", ok, 404, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t, Options{Path: "/api", Secret: secret}, true)
			r := e.do(t, tc.method, tc.uri, tc.auth, "")
			if r.status != tc.status {
				t.Fatalf("status = %d, want %d (body %q)", r.status, tc.status, r.body)
			}
			asked := e.presence.asked()
			if tc.asked == "" && len(asked) != 0 || tc.asked != "" && (len(asked) != 1 || asked[0] != tc.asked) {
				t.Fatalf("reader asked for %q, want %q", asked, tc.asked)
			}
			if len(e.rec.Publications()) != 0 {
				t.Fatal("presence request published something")
			}
		})
	}
}

func TestPresenceBody(t *testing.T) {
	e := start(t, Options{Path: "/api"}, true)
	e.presence.info["room"] = &broker.PresenceInfo{Total: 2, Records: []broker.PresenceRecord{
		{ID: "u1", Info: []byte(`{"name":"Ann"}`)}, {ID: "u2", Info: []byte(`null`)},
	}}
	r := e.do(t, "GET", "/api/presence/room/users", "", "")
	if r.status != 200 || r.contentType != "application/json" {
		t.Fatalf("status %d, content type %q", r.status, r.contentType)
	}
	if want := `total=2 u1:{"name":"Ann"} u2:null`; r.body != want {
		t.Fatalf("body = %q, want %q", r.body, want)
	}
	if r := e.do(t, "GET", "/api/presence/empty/users", "", ""); r.status != 200 || r.body != "total=0" {
		t.Fatalf("empty stream: %d %q", r.status, r.body)
	}
}

// Without a broker (no presence) the endpoint answers 501; so does a broker
// whose presence store fails, and the failure is logged.
func TestPresenceNotAvailable(t *testing.T) {
	e := start(t, Options{Path: "/api"}, false)
	if r := e.do(t, "GET", "/api/presence/room/users", "", ""); r.status != 501 {
		t.Fatalf("no broker: status = %d, want 501", r.status)
	}
	e = start(t, Options{Path: "/api"}, true)
	e.presence.err = errors.New("redis down")
	if r := e.do(t, "GET", "/api/presence/room/users", "", ""); r.status != 501 {
		t.Fatalf("failing broker: status = %d, want 501", r.status)
	}
	if e.logs.Count("presence info failed") != 1 {
		t.Fatal("presence failure not logged")
	}
}

// api_path is configurable; with "/" (trimmed to "") the endpoints sit at
// the root, as the spec's "/publish if custom path is configured" says.
func TestCustomPath(t *testing.T) {
	for _, path := range []string{"", "/v2/cable-api"} {
		e := start(t, Options{Path: path}, true)
		if r := e.do(t, "POST", path+"/publish", "", pub); r.status != 201 || len(e.rec.Publications()) != 1 {
			t.Fatalf("%q: publish status %d, %d delivered", path, r.status, len(e.rec.Publications()))
		}
		if r := e.do(t, "GET", path+"/presence/room/users", "", ""); r.status != 200 {
			t.Fatalf("%q: presence status %d", path, r.status)
		}
		if path != "" {
			if r := e.do(t, "POST", "/api/publish", "", pub); r.status != 404 {
				t.Fatalf("%q: default path still answers %d", path, r.status)
			}
		}
	}
}

// With CORS on, preflights are answered 200 before authorization (they
// carry no credentials) and every answer carries the CORS headers; with it
// off, no CORS header is sent.
func TestCORS(t *testing.T) {
	e := start(t, Options{Path: "/api", Secret: "k", CORS: true, AllowedOrigins: "app.example"}, true)
	for _, uri := range []string{"/api/publish", "/api/presence/room/users"} {
		r := e.do(t, "OPTIONS", uri, "", "")
		if r.status != 200 || r.headers["Access-Control-Allow-Origin"] != "https://app.example" ||
			!strings.Contains(r.headers["Access-Control-Allow-Headers"], "Authorization") {
			t.Fatalf("OPTIONS %s: %d %v", uri, r.status, r.headers)
		}
		if r := e.do(t, "GET", uri, "", ""); r.headers["Access-Control-Allow-Origin"] != "https://app.example" {
			t.Fatalf("GET %s: no CORS header on the 4xx answer: %v", uri, r.headers)
		}
	}
	if n := len(e.presence.asked()) + len(e.rec.Publications()); n != 0 {
		t.Fatalf("preflight reached the handler (%d calls)", n)
	}
	e = start(t, Options{Path: "/api"}, true)
	for _, uri := range []string{"/api/publish", "/api/presence/room/users"} {
		if r := e.do(t, "OPTIONS", uri, "", ""); r.status != 422 || r.headers["Access-Control-Allow-Origin"] != "" {
			t.Fatalf("OPTIONS %s without CORS: %d %v", uri, r.status, r.headers)
		}
	}
}
