package broadcast

import (
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/broker/brokertest"
)

// serve runs the handler on an in-memory listener and returns a client.
func serve(t *testing.T, h fasthttp.RequestHandler) *fasthttp.Client {
	t.Helper()
	ln := fasthttputil.NewInmemoryListener()
	srv := &fasthttp.Server{Handler: h}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return &fasthttp.Client{Dial: func(string) (net.Conn, error) { return ln.Dial() }}
}

type request struct {
	method, path, auth, origin, body string
}

type response struct {
	status  int
	headers map[string]string
}

func do(t *testing.T, c *fasthttp.Client, r request) response {
	t.Helper()
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	if r.path == "" {
		r.path = DefaultPath
	}
	req.SetRequestURI("http://broadcast" + r.path)
	req.Header.SetMethod(r.method)
	if r.auth != "" {
		req.Header.Set("Authorization", r.auth)
	}
	if r.origin != "" {
		req.Header.Set("Origin", r.origin)
	}
	req.SetBodyString(r.body)
	if err := c.Do(req, resp); err != nil {
		t.Fatalf("request: %v", err)
	}
	out := response{status: resp.StatusCode(), headers: map[string]string{}}
	for _, k := range resp.Header.PeekKeys() {
		out.headers[string(k)] = string(resp.Header.PeekBytes(k))
	}
	return out
}

const single = `{"stream":"chat","data":"{\"text\":\"hi\"}"}`

func TestStatusCodes(t *testing.T) {
	cases := []struct {
		name      string
		opts      Options
		req       request
		status    int
		delivered int
	}{
		{"post", Options{Path: DefaultPath}, request{method: "POST", body: single}, 201, 1},
		{"batch", Options{Path: DefaultPath}, request{method: "POST", body: `[` + single + `,{"stream":"b","data":"x"}]`}, 201, 2},
		{"malformed json is accepted", Options{Path: DefaultPath}, request{method: "POST", body: `{"stream":`}, 201, 0},
		{"non-string data is accepted and dropped", Options{Path: DefaultPath}, request{method: "POST", body: `{"stream":"s","data":{}}`}, 201, 0},
		{"empty body", Options{Path: DefaultPath}, request{method: "POST"}, 201, 0},
		{"get", Options{Path: DefaultPath}, request{method: "GET"}, 422, 0},
		{"put", Options{Path: DefaultPath}, request{method: "PUT", body: single}, 422, 0},
		{"options without cors", Options{Path: DefaultPath}, request{method: "OPTIONS"}, 422, 0},
		{"options with cors", Options{Path: DefaultPath, CORS: true, Key: "k"}, request{method: "OPTIONS"}, 200, 0},
		{"other path", Options{Path: DefaultPath}, request{method: "POST", path: "/other", body: single}, 404, 0},
		{"custom path", Options{Path: "/pub"}, request{method: "POST", path: "/pub", body: single}, 201, 1},
		{"key ok", Options{Key: "secret"}, request{method: "POST", auth: "Bearer secret", body: single}, 201, 1},
		{"key missing", Options{Key: "secret"}, request{method: "POST", body: single}, 401, 0},
		{"key wrong", Options{Key: "secret"}, request{method: "POST", auth: "Bearer secreT", body: single}, 401, 0},
		{"key prefix only", Options{Key: "secret"}, request{method: "POST", auth: "Bearer secre", body: single}, 401, 0},
		{"key without bearer", Options{Key: "secret"}, request{method: "POST", auth: "secret", body: single}, 401, 0},
		{"bearer lower case", Options{Key: "secret"}, request{method: "POST", auth: "bearer secret", body: single}, 401, 0},
		{"method checked before key", Options{Key: "secret"}, request{method: "GET"}, 422, 0},
		{"no key ignores header", Options{}, request{method: "POST", auth: "Bearer whatever", body: single}, 201, 1},
		{"too large", Options{MaxBodySize: 10}, request{method: "POST", body: single}, 413, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := brokertest.NewRecorder()
			stats := &Stats{}
			tc.opts.Stats = stats
			c := serve(t, NewHandler(tc.opts, rec, nil))
			resp := do(t, c, tc.req)
			if resp.status != tc.status {
				t.Fatalf("status = %d, want %d", resp.status, tc.status)
			}
			// The handler delivers before it answers.
			if n := len(rec.Publications()); n != tc.delivered {
				t.Fatalf("delivered %d publications, want %d", n, tc.delivered)
			}
			if got := stats.Publications.Load(); got != uint64(tc.delivered) {
				t.Fatalf("publications_total = %d, want %d", got, tc.delivered)
			}
		})
	}
}

func TestMalformedIsCountedAsFailed(t *testing.T) {
	stats := &Stats{}
	c := serve(t, NewHandler(Options{Stats: stats}, brokertest.NewRecorder(), nil))
	for _, body := range []string{`nope`, `{"stream":""}`, `[]`} {
		if s := do(t, c, request{method: "POST", body: body}).status; s != 201 {
			t.Fatalf("%q: status %d", body, s)
		}
	}
	if stats.FailedBroadcast.Load() != 3 || stats.Publications.Load() != 0 {
		t.Fatalf("failed=%d publications=%d", stats.FailedBroadcast.Load(), stats.Publications.Load())
	}
}

func TestRemoteCommand(t *testing.T) {
	rec := brokertest.NewRecorder()
	stats := &Stats{}
	c := serve(t, NewHandler(Options{Stats: stats}, rec, nil))
	body := `{"command":"disconnect","payload":{"identifier":"{\"user\":42}","reconnect":true}}`
	if s := do(t, c, request{method: "POST", body: body}).status; s != 201 {
		t.Fatalf("status %d", s)
	}
	cmds := rec.Commands()
	if len(cmds) != 1 || cmds[0] != (broker.RemoteCommand{Command: "disconnect", Identifier: `{"user":42}`, Reconnect: true}) {
		t.Fatalf("commands = %+v", cmds)
	}
	if stats.RemoteCommands.Load() != 1 || stats.Publications.Load() != 1 {
		t.Fatalf("remote_commands=%d publications=%d", stats.RemoteCommands.Load(), stats.Publications.Load())
	}
}

func TestBrokerFailureIs501(t *testing.T) {
	rec := brokertest.NewRecorder()
	rec.SetFail(errors.New("no history storage"))
	c := serve(t, NewHandler(Options{}, rec, nil))
	if s := do(t, c, request{method: "POST", body: single}).status; s != 501 {
		t.Fatalf("status = %d, want 501", s)
	}
	// Malformed input is still 201: only the handler's failure is 501.
	if s := do(t, c, request{method: "POST", body: `x`}).status; s != 201 {
		t.Fatalf("malformed: status = %d, want 201", s)
	}
}

func TestPublicationsArriveInOrder(t *testing.T) {
	rec := brokertest.NewRecorder()
	c := serve(t, NewHandler(Options{}, rec, nil))
	do(t, c, request{method: "POST", body: `[{"stream":"s","data":"1"},{"stream":"s","data":"2"}]`})
	do(t, c, request{method: "POST", body: `{"stream":"s","data":"3"}`})
	var got []string
	for _, p := range rec.Publications() {
		got = append(got, p.Data)
	}
	if strings.Join(got, ",") != "1,2,3" {
		t.Fatalf("order = %v", got)
	}
}

func TestCORSHeaders(t *testing.T) {
	const allowHeaders = "Origin, X-Requested-With, X-Request-ID, Content-Type, Accept, X-CSRF-Token, Authorization"
	cases := []struct {
		name, allowed, origin, want string
	}{
		{"no list", "", "https://any.example", "*"},
		{"exact host", "app.example.com", "https://app.example.com", "https://app.example.com"},
		{"host with port", "localhost:3000", "http://localhost:3000", "http://localhost:3000"},
		{"port must match", "localhost:3000", "http://localhost:4000", ""},
		{"wildcard", "*.example.com", "https://a.example.com", "https://a.example.com"},
		{"wildcard is a plain suffix", "*example.com", "https://badexample.com", "https://badexample.com"},
		{"case-insensitive", "App.Example.com", "https://APP.example.com", "https://APP.example.com"},
		{"not listed", "app.example.com", "https://evil.example", ""},
		{"missing origin", "app.example.com", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := serve(t, NewHandler(Options{CORS: true, AllowedOrigins: tc.allowed}, brokertest.NewRecorder(), nil))
			for _, method := range []string{"OPTIONS", "POST"} {
				resp := do(t, c, request{method: method, origin: tc.origin, body: single})
				if got := resp.headers["Access-Control-Allow-Origin"]; got != tc.want {
					t.Fatalf("%s: Allow-Origin = %q, want %q", method, got, tc.want)
				}
				if resp.headers["Access-Control-Allow-Methods"] != "POST, OPTIONS" ||
					resp.headers["Access-Control-Allow-Credentials"] != "true" ||
					resp.headers["Access-Control-Allow-Headers"] != allowHeaders {
					t.Fatalf("%s: CORS headers = %v", method, resp.headers)
				}
			}
		})
	}
	// Without --http_broadcast_cors no CORS header is sent.
	c := serve(t, NewHandler(Options{}, brokertest.NewRecorder(), nil))
	if h := do(t, c, request{method: "POST", origin: "https://x.example", body: single}).headers; h["Access-Control-Allow-Origin"] != "" {
		t.Fatalf("CORS header without CORS: %v", h)
	}
}
