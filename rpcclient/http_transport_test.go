package rpcclient

import (
	"context"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/densecable/densecable/rpcclient/rpcpb"
)

// recordedRequest is what the HTTP RPC test server saw.
type recordedRequest struct {
	method, path string
	header       http.Header
	body         string
}

// httpRPC is an HTTP RPC test server: it records every request and answers
// with reply (status code, body).
type httpRPC struct {
	mu       sync.Mutex
	requests []recordedRequest
	reply    func(r *http.Request) (int, string)
}

func (s *httpRPC) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.requests = append(s.requests, recordedRequest{r.Method, r.URL.Path, r.Header.Clone(), string(body)})
	reply := s.reply
	s.mu.Unlock()
	code, out := http.StatusOK, `{"status":1}`
	if reply != nil {
		code, out = reply(r)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, out)
}

func (s *httpRPC) setReply(f func(r *http.Request) (int, string)) {
	s.mu.Lock()
	s.reply = f
	s.mu.Unlock()
}

func (s *httpRPC) last(t *testing.T) recordedRequest {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) == 0 {
		t.Fatal("no request recorded")
	}
	return s.requests[len(s.requests)-1]
}

func (s *httpRPC) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

func startHTTPRPC(t *testing.T, s *httpRPC) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts
}

func newHTTPTransport(t *testing.T, opts Options) *HTTPTransport {
	t.Helper()
	tr, err := NewHTTPTransport(opts, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	return tr
}

var testEnv = &rpcpb.Env{
	Url:     "http://127.0.0.1:28380/cable?foo=bar",
	Headers: map[string]string{"cookie": "session=abc;", "REMOTE_ADDR": "127.0.0.1"},
}

func TestHTTPRequestShapes(t *testing.T) {
	srv := &httpRPC{}
	ts := startHTTPRPC(t, srv)
	opts := testOptions(ts.URL + "/_anycable")
	opts.HTTPSecret = DeriveHTTPSecret("s3cr3t")
	tr := newHTTPTransport(t, opts)
	ctx := context.Background()

	cases := []struct {
		name, path, body string
		call             func() error
	}{
		{
			"connect", "/_anycable/connect",
			`{"env":{"url":"http://127.0.0.1:28380/cable?foo=bar","headers":{"REMOTE_ADDR":"127.0.0.1","cookie":"session=abc;"}}}`,
			func() error { _, err := tr.Connect(ctx, "sid-1", &rpcpb.ConnectionRequest{Env: testEnv}); return err },
		},
		{
			"subscribe", "/_anycable/command",
			`{"command":"subscribe","identifier":"{\"channel\":\"ChatChannel\"}","connection_identifiers":"{\"user_id\":42}",` +
				`"env":{"url":"http://127.0.0.1:28380/cable?foo=bar","headers":{"REMOTE_ADDR":"127.0.0.1","cookie":"session=abc;"},"cstate":{"a":"1","b":"2"},"istate":{"room":"42"}}}`,
			func() error {
				_, err := tr.Command(ctx, "sid-1", &rpcpb.CommandMessage{
					Command: "subscribe", Identifier: `{"channel":"ChatChannel"}`, ConnectionIdentifiers: `{"user_id":42}`,
					Env: &rpcpb.Env{Url: testEnv.Url, Headers: testEnv.Headers, Cstate: map[string]string{"b": "2", "a": "1"}, Istate: map[string]string{"room": "42"}},
				})
				return err
			},
		},
		{
			"message", "/_anycable/command",
			`{"command":"message","identifier":"{\"channel\":\"ChatChannel\"}","connection_identifiers":"{\"user_id\":42}","data":"{\"action\":\"speak\"}","env":{"url":"http://127.0.0.1:28380/cable?foo=bar"}}`,
			func() error {
				_, err := tr.Command(ctx, "sid-1", &rpcpb.CommandMessage{
					Command: "message", Identifier: `{"channel":"ChatChannel"}`, ConnectionIdentifiers: `{"user_id":42}`,
					Data: `{"action":"speak"}`, Env: &rpcpb.Env{Url: testEnv.Url},
				})
				return err
			},
		},
		{
			"disconnect", "/_anycable/disconnect",
			`{"identifiers":"{\"user_id\":42}","subscriptions":["{\"channel\":\"ChatChannel\"}"],"env":{"url":"http://127.0.0.1:28380/cable?foo=bar","istate":{"{\"channel\":\"ChatChannel\"}":"{\"room\":\"42\"}"}}}`,
			func() error {
				_, err := tr.Disconnect(ctx, "sid-1", &rpcpb.DisconnectRequest{
					Identifiers: `{"user_id":42}`, Subscriptions: []string{`{"channel":"ChatChannel"}`},
					Env: &rpcpb.Env{Url: testEnv.Url, Istate: map[string]string{`{"channel":"ChatChannel"}`: `{"room":"42"}`}},
				})
				return err
			},
		},
		{
			"disconnect without subscriptions", "/_anycable/disconnect",
			`{"identifiers":"{\"user_id\":42}","env":{"url":"http://127.0.0.1:28380/cable?foo=bar"}}`,
			func() error {
				_, err := tr.Disconnect(ctx, "sid-1", &rpcpb.DisconnectRequest{
					Identifiers: `{"user_id":42}`, Subscriptions: []string{}, Env: &rpcpb.Env{Url: testEnv.Url},
				})
				return err
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); err != nil {
				t.Fatal(err)
			}
			got := srv.last(t)
			if got.method != http.MethodPost || got.path != tc.path {
				t.Fatalf("%s %s, want POST %s", got.method, got.path, tc.path)
			}
			if got.body != tc.body {
				t.Fatalf("body\n got %s\nwant %s", got.body, tc.body)
			}
			wantHeaders := map[string]string{
				"Content-Type":           "application/json",
				"Authorization":          "Bearer 4b7da2749fe2a4534cec0d2acbd16277a800cf2acd31158ac4edae4a62a8f18d",
				"X-Anycable-Meta-Sid":    "sid-1",
				"X-Anycable-Meta-Protov": "v1",
				"User-Agent":             "Go-http-client/1.1",
			}
			for k, v := range wantHeaders {
				if got.header.Get(k) != v {
					t.Errorf("header %s = %q, want %q", k, got.header.Get(k), v)
				}
			}
		})
	}
}

func TestHTTPNoSecretNoAuthorization(t *testing.T) {
	srv := &httpRPC{}
	tr := newHTTPTransport(t, testOptions(startHTTPRPC(t, srv).URL))
	if _, err := tr.Connect(context.Background(), "s", &rpcpb.ConnectionRequest{}); err != nil {
		t.Fatal(err)
	}
	got := srv.last(t)
	if _, ok := got.header["Authorization"]; ok || got.path != "/connect" || got.body != "{}" {
		t.Fatalf("request %+v", got)
	}
}

func TestHTTPResponseDecoding(t *testing.T) {
	srv := &httpRPC{}
	tr := newHTTPTransport(t, testOptions(startHTTPRPC(t, srv).URL))
	ctx := context.Background()

	srv.setReply(func(*http.Request) (int, string) {
		return 200, `{"status":1,"identifiers":"{\"user_id\":42}","transmissions":["{\"type\":\"welcome\"}"],"env":{"cstate":{"feature_flags":"[1, 2]"}}}`
	})
	cr, err := tr.Connect(ctx, "s", &rpcpb.ConnectionRequest{})
	if err != nil || cr.Status != rpcpb.Status_SUCCESS || cr.Identifiers != `{"user_id":42}` ||
		cr.Transmissions[0] != `{"type":"welcome"}` || cr.Env.Cstate["feature_flags"] != "[1, 2]" {
		t.Fatalf("connect: %+v %v", cr, err)
	}

	srv.setReply(func(*http.Request) (int, string) {
		return 200, `{"status":2,"disconnect":true,"stop_streams":true,"streams":["a"],"stopped_streams":["b"],` +
			`"transmissions":["t"],"error_msg":"no","env":{"istate":{"k":"v"}},"presence":{"type":"join","id":"u1","info":"{}","ttl":30},"unknown_field":1}`
	})
	cmd, err := tr.Command(ctx, "s", &rpcpb.CommandMessage{})
	if err != nil || cmd.Status != rpcpb.Status_FAILURE || !cmd.Disconnect || !cmd.StopStreams || cmd.Streams[0] != "a" ||
		cmd.StoppedStreams[0] != "b" || cmd.ErrorMsg != "no" || cmd.Env.Istate["k"] != "v" ||
		cmd.Presence.Type != "join" || cmd.Presence.Id != "u1" || cmd.Presence.Ttl != 30 {
		t.Fatalf("command: %+v %v", cmd, err)
	}

	srv.setReply(func(*http.Request) (int, string) { return 200, `{"error_msg":"Internal server error"}` })
	dr, err := tr.Disconnect(ctx, "s", &rpcpb.DisconnectRequest{})
	if err != nil || dr.Status != rpcpb.Status_ERROR || dr.ErrorMsg != "Internal server error" {
		t.Fatalf("missing status must mean ERROR: %+v %v", dr, err)
	}
}

func TestHTTPStatusMapping(t *testing.T) {
	cases := []struct {
		code    int
		body    string
		want    codes.Code
		message string
	}{
		{401, "nope", codes.Unauthenticated, "http returned 401"},
		{400, "bad json", codes.InvalidArgument, "bad json"},
		{422, "unprocessable\n", codes.InvalidArgument, "unprocessable"},
		{500, "boom", codes.Unknown, "boom"},
		{404, "404 page not found\n", codes.Unknown, "404 page not found"},
		{503, "", codes.Unknown, "http returned 503"},
		{500, strings.Repeat("x", 2000), codes.Unknown, strings.Repeat("x", maxErrorBody) + "..."},
	}
	for _, tc := range cases {
		srv := &httpRPC{reply: func(*http.Request) (int, string) { return tc.code, tc.body }}
		tr := newHTTPTransport(t, testOptions(startHTTPRPC(t, srv).URL))
		_, err := tr.Command(context.Background(), "s", &rpcpb.CommandMessage{})
		st, ok := status.FromError(err)
		if !ok || st.Code() != tc.want || st.Message() != tc.message {
			t.Errorf("HTTP %d: err = %v, want %v %q", tc.code, err, tc.want, tc.message)
		}
	}
}

func TestHTTPGarbageResponseIsAnErrorWithoutRetry(t *testing.T) {
	srv := &httpRPC{reply: func(*http.Request) (int, string) { return 200, "<html>not json" }}
	c := NewWithTransport(newHTTPTransport(t, testOptions(startHTTPRPC(t, srv).URL)), testOptions(""), discardLogger())
	err := command(c, context.Background())
	if err == nil || !strings.Contains(err.Error(), "decode http rpc response") {
		t.Fatalf("err = %v", err)
	}
	if srv.count() != 1 || c.Stats().ErrorTotal != 1 || c.Stats().RetriesTotal != 0 {
		t.Fatalf("requests=%d stats=%+v", srv.count(), c.Stats())
	}
}

func TestHTTPTimeout(t *testing.T) {
	srv := &httpRPC{reply: func(r *http.Request) (int, string) {
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
		return 200, `{"status":1}`
	}}
	opts := testOptions(startHTTPRPC(t, srv).URL)
	opts.HTTPTimeout = 50
	c := newTestClient(t, opts)
	err := command(c, context.Background())
	if status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
	st := c.Stats()
	if st.TimeoutTotal != 1 || st.ErrorTotal != 1 || st.RetriesTotal != 0 || srv.count() != 1 {
		t.Fatalf("requests=%d stats=%+v", srv.count(), st)
	}
}

func TestHTTPNetworkErrorIsUnavailableAndRetried(t *testing.T) {
	opts := testOptions("http://" + freeAddr(t) + "/_anycable")
	opts.CommandTimeout = 1000
	c := newTestClient(t, opts)
	err := command(c, context.Background())
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("err = %v, want Unavailable", err)
	}
	if st := c.Stats(); st.RetriesTotal == 0 || st.ErrorTotal != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestHTTPCircuitBreakerOpens(t *testing.T) {
	tr := newHTTPTransport(t, testOptions("http://"+freeAddr(t)))
	for i := range breakerMinRequests {
		_, err := tr.Connect(context.Background(), "s", &rpcpb.ConnectionRequest{})
		if status.Code(err) != codes.Unavailable {
			t.Fatalf("request %d: err = %v, want Unavailable", i, err)
		}
	}
	_, err := tr.Connect(context.Background(), "s", &rpcpb.ConnectionRequest{})
	if !errors.Is(err, ErrBreakerOpen) || err.Error() != "http rpc is temporarily unavailable" {
		t.Fatalf("after 10 network failures: err = %v", err)
	}

	// The Client does not retry the open breaker's error.
	c := NewWithTransport(tr, testOptions(""), discardLogger())
	if err := command(c, context.Background()); !errors.Is(err, ErrBreakerOpen) || c.Stats().RetriesTotal != 0 {
		t.Fatalf("err = %v stats = %+v", err, c.Stats())
	}
}

func TestHTTPStatusesDoNotTripBreaker(t *testing.T) {
	srv := &httpRPC{reply: func(*http.Request) (int, string) { return 500, "boom" }}
	tr := newHTTPTransport(t, testOptions(startHTTPRPC(t, srv).URL))
	for range 3 * breakerMinRequests {
		if _, err := tr.Connect(context.Background(), "s", &rpcpb.ConnectionRequest{}); status.Code(err) != codes.Unknown {
			t.Fatalf("err = %v", err)
		}
	}
	if tr.breaker.current() != breakerClosed {
		t.Fatal("HTTP error statuses must count as breaker successes")
	}
}

func TestHTTPS(t *testing.T) {
	srv := &httpRPC{}
	ts := httptest.NewUnstartedServer(srv)
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the rejected handshake is expected
	ts.StartTLS()
	t.Cleanup(ts.Close)
	ctx := context.Background()

	t.Run("untrusted certificate", func(t *testing.T) {
		tr := newHTTPTransport(t, testOptions(ts.URL))
		_, err := tr.Connect(ctx, "s", &rpcpb.ConnectionRequest{})
		if status.Code(err) != codes.Unauthenticated {
			t.Fatalf("err = %v, want Unauthenticated", err)
		}
	})
	t.Run("verify off", func(t *testing.T) {
		opts := testOptions(ts.URL)
		opts.TLSVerify = false
		tr := newHTTPTransport(t, opts)
		if _, err := tr.Connect(ctx, "s", &rpcpb.ConnectionRequest{}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("root CA", func(t *testing.T) {
		opts := testOptions(ts.URL)
		opts.TLSRootCA = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}))
		tr := newHTTPTransport(t, opts)
		if _, err := tr.Connect(ctx, "s", &rpcpb.ConnectionRequest{}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestHTTPClientEndToEnd(t *testing.T) {
	srv := &httpRPC{}
	opts := testOptions(startHTTPRPC(t, srv).URL + "/_anycable/")
	opts.Concurrency = 3
	c := newTestClient(t, opts)
	runConcurrently(t, c, 30)
	if srv.count() != 30 || srv.last(t).path != "/_anycable/command" {
		t.Fatalf("requests=%d last=%+v", srv.count(), srv.last(t))
	}
}

func TestNewHTTPTransportRejectsBadHosts(t *testing.T) {
	for _, host := range []string{"http://", "ftp://x", "http://%zz", "https:///path"} {
		if _, err := NewHTTPTransport(Options{Host: host}, discardLogger()); err == nil {
			t.Errorf("host %q accepted", host)
		}
	}
}
