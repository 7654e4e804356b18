package benchapp

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/densecable/densecable/rpcclient/rpcpb"
)

func TestGRPCRoundTrip(t *testing.T) {
	app, _ := newTestApp()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	rpcpb.RegisterRPCServer(srv, &GRPC{App: app})
	go func() { _ = srv.Serve(ln) }()
	defer srv.Stop()

	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := rpcpb.NewRPCClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cr, err := c.Connect(ctx, &rpcpb.ConnectionRequest{Env: &rpcpb.Env{Url: "http://x/cable"}})
	if err != nil || cr.Status != rpcpb.Status_SUCCESS || cr.Transmissions[0] != welcome {
		t.Fatalf("connect %v %v", cr, err)
	}
	sr, err := c.Command(ctx, cmd("subscribe", benchID, ""))
	if err != nil || sr.Streams[0] != "all" {
		t.Fatalf("subscribe %v %v", sr, err)
	}
	dr, err := c.Disconnect(ctx, &rpcpb.DisconnectRequest{Identifiers: cr.Identifiers})
	if err != nil || dr.Status != rpcpb.Status_SUCCESS {
		t.Fatalf("disconnect %v %v", dr, err)
	}
}

func TestHTTPRPC(t *testing.T) {
	app, _ := newTestApp()
	srv := httptest.NewServer(app.HTTPHandler("s3cret"))
	defer srv.Close()
	post := func(path, auth, body string) (*http.Response, []byte) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}

	resp, body := post("/connect", "Bearer s3cret", `{"env":{"url":"http://x/cable","headers":{"cookie":"a=1"}}}`)
	var cr struct {
		Status        int      `json:"status"`
		Identifiers   string   `json:"identifiers"`
		Transmissions []string `json:"transmissions"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(body, &cr) != nil || cr.Status != 1 || cr.Transmissions[0] != welcome {
		t.Fatalf("connect: %d %s", resp.StatusCode, body)
	}
	resp, body = post("/command", "Bearer s3cret", `{"command":"subscribe","identifier":"{\"channel\":\"BenchmarkChannel\",\"id\":1}","connection_identifiers":"x"}`)
	var sr struct {
		Status  int      `json:"status"`
		Streams []string `json:"streams"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(body, &sr) != nil || sr.Status != 1 || sr.Streams[0] != "all1" {
		t.Fatalf("subscribe: %d %s", resp.StatusCode, body)
	}
	if resp, body = post("/disconnect", "Bearer s3cret", `{"identifiers":"x"}`); resp.StatusCode != 200 || string(body) != `{"status":1}` {
		t.Fatalf("disconnect: %d %s", resp.StatusCode, body)
	}
	if resp, _ = post("/connect", "Bearer wrong", `{}`); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("bad secret: %d", resp.StatusCode)
	}
	if resp, _ = post("/command", "Bearer s3cret", `{"command":`); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad JSON: %d", resp.StatusCode)
	}
	r, err := srv.Client().Get(srv.URL + "/connect")
	if err != nil || r.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET: %v %v", r, err)
	}
	r.Body.Close()
}

// broadcastSink records bodies POSTed to /_broadcast.
type broadcastSink struct {
	mu     sync.Mutex
	bodies []string
	auth   []string
	status int
}

func (s *broadcastSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.bodies = append(s.bodies, string(b))
	s.auth = append(s.auth, r.Header.Get("Authorization"))
	status := s.status
	s.mu.Unlock()
	w.WriteHeader(status)
}

func TestSyncPublisher(t *testing.T) {
	sink := &broadcastSink{status: http.StatusCreated}
	srv := httptest.NewServer(sink)
	defer srv.Close()
	p := NewHTTPPublisher(PublisherConfig{URL: srv.URL + "/_broadcast", Key: "k"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer p.Close()
	if err := p.Publish(context.Background(), "all", `{"a":"b"}`); err != nil {
		t.Fatal(err)
	}
	// Sync: the POST is done when Publish returns.
	if len(sink.bodies) != 1 || sink.bodies[0] != `{"stream":"all","data":"{\"a\":\"b\"}"}` || sink.auth[0] != "Bearer k" {
		t.Fatalf("got %q %q", sink.bodies, sink.auth)
	}
	sink.status = http.StatusUnauthorized
	if err := p.Publish(context.Background(), "all", `1`); err == nil {
		t.Fatal("401 must be an error")
	}
	if sent, failed := p.Stats(); sent != 1 || failed != 1 {
		t.Fatalf("stats %d/%d", sent, failed)
	}
}

func TestAsyncPublisherDeliversEverythingOnClose(t *testing.T) {
	sink := &broadcastSink{status: http.StatusCreated}
	srv := httptest.NewServer(sink)
	defer srv.Close()
	p := NewHTTPPublisher(PublisherConfig{URL: srv.URL, Async: true, Workers: 2, QueueSize: 4}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	const n = 200
	for i := range n {
		if err := p.Publish(context.Background(), "s", `{"i":`+string(rune('0'+i%10))+`}`); err != nil {
			t.Fatal(err)
		}
	}
	p.Close()
	if err := p.Publish(context.Background(), "s", "1"); err != ErrClosed {
		t.Fatalf("publish after close: %v", err)
	}
	total := 0
	for _, b := range sink.bodies {
		var batch []struct{ Stream, Data string }
		if err := json.Unmarshal([]byte(b), &batch); err != nil || len(batch) == 0 {
			t.Fatalf("bad batch %q", b)
		}
		total += len(batch)
	}
	if total != n {
		t.Fatalf("delivered %d of %d", total, n)
	}
}
