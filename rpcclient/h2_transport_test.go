package rpcclient

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/densecable/densecable/rpcclient/rpcpb"
)

func newH2(t *testing.T, opts Options) *H2Transport {
	t.Helper()
	if !useH2Transport(opts) {
		t.Fatalf("options %+v do not select the built-in client", opts)
	}
	tr := NewH2Transport(opts, discardLogger())
	t.Cleanup(func() { _ = tr.Close() })
	return tr
}

func TestH2TransportIsTheDefaultForPlainTargets(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost:50051": true, "127.0.0.1:50051": true, "[::1]:50051": true,
		"dns:///app:50051": false, "grpc-list://a:1,b:2": false, "unix:/tmp/s": false, "app": false,
	} {
		o := DefaultOptions()
		o.Host = host
		if got := useH2Transport(o); got != want {
			t.Errorf("%q: built-in client = %v, want %v", host, got, want)
		}
	}
	o := DefaultOptions()
	o.EnableTLS = true
	if useH2Transport(o) {
		t.Error("TLS must use grpc-go")
	}
	o = DefaultOptions()
	o.GRPCGo = true
	if useH2Transport(o) {
		t.Error("GRPCGo must use grpc-go")
	}
}

// Many concurrent calls, a third of them canceled at random moments, on one
// connection: every answer must belong to its own call. The pooled h2call
// of a canceled call must not be handed to a new call while the reader can
// still write into it (run with -race).
func TestH2PooledCallsAreNotReusedWhileInFlight(t *testing.T) {
	srv := &testRPC{}
	srv.connect = func(ctx context.Context, req *rpcpb.ConnectionRequest) (*rpcpb.ConnectionResponse, error) {
		md, _ := metadata.FromIncomingContext(ctx)
		if rand.IntN(4) == 0 {
			time.Sleep(time.Duration(rand.IntN(500)) * time.Microsecond)
		}
		// The answer names the sid and echoes the request's payload.
		return &rpcpb.ConnectionResponse{Status: rpcpb.Status_SUCCESS, Identifiers: md.Get("sid")[0] + "|" + req.Env.Url}, nil
	}
	addr := startGRPC(t, srv, "")
	tr := newH2(t, testOptions(addr))

	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := range 16 {
		wg.Go(func() {
			for i := range 150 {
				sid := fmt.Sprintf("w%d-%d", w, i)
				url := strings.Repeat("u", rand.IntN(3000)) // 0 to several frames of request
				ctx, cancel := context.WithCancel(context.Background())
				if i%3 == 0 {
					go func() {
						time.Sleep(time.Duration(rand.IntN(300)) * time.Microsecond)
						cancel()
					}()
				}
				res, err := tr.Connect(ctx, sid, &rpcpb.ConnectionRequest{Env: &rpcpb.Env{Url: url}})
				cancel()
				switch {
				case err == nil:
					if res.Identifiers != sid+"|"+url {
						errs <- fmt.Errorf("call %s got the answer %.40q", sid, res.Identifiers)
						return
					}
				case status.Code(err) != codes.Canceled:
					errs <- fmt.Errorf("call %s: %v", sid, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := tr.ActiveConns(); n != 1 {
		t.Fatalf("%d connections open, want 1", n)
	}
}

// Requests larger than the server's 64 KB initial windows wait for its
// WINDOW_UPDATEs; replies spanning many DATA frames are reassembled.
func TestH2LargeMessagesBothWays(t *testing.T) {
	srv := &testRPC{}
	srv.command = func(_ context.Context, req *rpcpb.CommandMessage) (*rpcpb.CommandResponse, error) {
		return &rpcpb.CommandResponse{Status: rpcpb.Status_SUCCESS, Transmissions: []string{req.Data + req.Data}}, nil
	}
	addr := startGRPC(t, srv, "")
	tr := newH2(t, testOptions(addr))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			data := strings.Repeat(string(rune('a'+i)), 300<<10)
			res, err := tr.Command(context.Background(), "s", &rpcpb.CommandMessage{Command: "message", Data: data})
			if err != nil {
				t.Error(err)
				return
			}
			if res.Transmissions[0] != data+data {
				t.Errorf("call %d: reply of %d bytes does not echo the request", i, len(res.Transmissions[0]))
			}
		})
	}
	wg.Wait()
}

func TestH2MaxMessageSizes(t *testing.T) {
	srv := &testRPC{connect: func(context.Context, *rpcpb.ConnectionRequest) (*rpcpb.ConnectionResponse, error) {
		return &rpcpb.ConnectionResponse{Status: rpcpb.Status_SUCCESS, Identifiers: strings.Repeat("x", 40<<10)}, nil
	}}
	addr := startGRPC(t, srv, "")
	opts := testOptions(addr)
	opts.MaxRecvSize = 1024
	opts.MaxSendSize = 2048
	tr := newH2(t, opts)
	if _, err := tr.Connect(context.Background(), "s", &rpcpb.ConnectionRequest{}); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("oversized response: err = %v, want ResourceExhausted", err)
	}
	before := srv.calls.Load()
	_, err := tr.Connect(context.Background(), "s", &rpcpb.ConnectionRequest{Env: &rpcpb.Env{Url: strings.Repeat("u", 4096)}})
	if status.Code(err) != codes.ResourceExhausted || srv.calls.Load() != before {
		t.Fatalf("oversized request: err = %v, server calls %d → %d", err, before, srv.calls.Load())
	}
	// The connection still serves calls after both.
	srv.connect = nil
	if _, err := tr.Connect(context.Background(), "s", &rpcpb.ConnectionRequest{}); err != nil {
		t.Fatal(err)
	}
}

// Status codes and (percent-encoded) messages arrive as grpc-go reports
// them; the deadline reaches the server as grpc-timeout.
func TestH2StatusAndDeadline(t *testing.T) {
	var gotDeadline time.Duration
	srv := &testRPC{}
	srv.command = func(ctx context.Context, _ *rpcpb.CommandMessage) (*rpcpb.CommandResponse, error) {
		if dl, ok := ctx.Deadline(); ok {
			gotDeadline = time.Until(dl)
		}
		return nil, status.Error(codes.InvalidArgument, "bad input: 100% ünïcode\nline")
	}
	addr := startGRPC(t, srv, "")
	tr := newH2(t, testOptions(addr))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := tr.Command(ctx, "s", &rpcpb.CommandMessage{})
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument || st.Message() != "bad input: 100% ünïcode\nline" {
		t.Fatalf("status = %v %q", st.Code(), st.Message())
	}
	if gotDeadline < 30*time.Second || gotDeadline > time.Minute {
		t.Fatalf("server saw deadline %v, want about a minute", gotDeadline)
	}

	slow := &testRPC{connect: func(ctx context.Context, _ *rpcpb.ConnectionRequest) (*rpcpb.ConnectionResponse, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	tr2 := newH2(t, testOptions(startGRPC(t, slow, "")))
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if _, err := tr2.Connect(ctx2, "s", &rpcpb.ConnectionRequest{}); status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("slow call: err = %v, want DeadlineExceeded", err)
	}
}

// A server that goes away (GOAWAY on graceful stop, then a new server on
// the same address) costs the calls at most an Unavailable, which the
// client retries; the next calls use a new connection.
func TestH2ReconnectsAfterGoAway(t *testing.T) {
	addr := freeAddr(t)
	start := func() *grpc.Server {
		lis, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		s := grpc.NewServer()
		rpcpb.RegisterRPCServer(s, &testRPC{})
		go func() { _ = s.Serve(lis) }()
		return s
	}
	s1 := start()
	c := newTestClient(t, testOptions(addr))
	if _, err := c.Connect(context.Background(), "s", &rpcpb.ConnectionRequest{}); err != nil {
		t.Fatal(err)
	}
	s1.GracefulStop()
	s2 := start()
	defer s2.Stop()
	if _, err := c.Connect(context.Background(), "s", &rpcpb.ConnectionRequest{}); err != nil {
		t.Fatalf("after the server restarted: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for c.Stats().GRPCActiveConnNum != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections open, want 1", c.Stats().GRPCActiveConnNum)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestH2CloseFailsCallsInFlight(t *testing.T) {
	block := make(chan struct{})
	srv := &testRPC{connect: func(ctx context.Context, _ *rpcpb.ConnectionRequest) (*rpcpb.ConnectionResponse, error) {
		select {
		case <-block:
		case <-ctx.Done():
		}
		return &rpcpb.ConnectionResponse{}, nil
	}}
	defer close(block)
	tr := newH2(t, testOptions(startGRPC(t, srv, "")))
	done := make(chan error, 1)
	go func() {
		_, err := tr.Connect(context.Background(), "s", &rpcpb.ConnectionRequest{})
		done <- err
	}()
	for srv.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	_ = tr.Close()
	select {
	case err := <-done:
		if status.Code(err) != codes.Unavailable {
			t.Fatalf("err = %v, want Unavailable", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("call in flight not failed by Close")
	}
	if _, err := tr.Connect(context.Background(), "s", &rpcpb.ConnectionRequest{}); err == nil {
		t.Fatal("call after Close succeeded")
	}
}

func TestGRPCTimeoutEncoding(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Nanosecond: "1n", 1500 * time.Millisecond: "1500000u", 3 * time.Second: "3000000u",
		200 * time.Second: "200000m", 0: "1n", 1000 * time.Hour: "3600000S",
	} {
		if got := grpcTimeout(d); got != want {
			t.Errorf("grpcTimeout(%v) = %s, want %s", d, got, want)
		}
	}
}

// FuzzH2Result: whatever a server sends in the body and trailers, result
// does not panic, and returns a message only when the status is OK and the
// 5-byte prefix announces exactly the bytes that follow.
func FuzzH2Result(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 2, 8, 1}, "0", "")
	f.Add([]byte{1, 0, 0, 0, 0}, "0", "")
	f.Add([]byte{}, "13", "boom%20%zz%")
	f.Fuzz(func(t *testing.T, body []byte, grpcStatus, msg string) {
		s := &h2call{buf: body, httpStatus: "200", grpcStatus: grpcStatus, grpcMsg: msg, gotStatus: true}
		out, err := s.result()
		if err != nil {
			if out != nil {
				t.Fatal("message and error together")
			}
			if status.Code(err) == codes.OK {
				t.Fatalf("error with code OK: %v", err)
			}
			return
		}
		if grpcStatus == "" || len(body) < 5 || body[0] != 0 || len(out) != len(body)-5 {
			t.Fatalf("accepted body %x with status %q", body, grpcStatus)
		}
	})
}

// After the last stream id of a connection the next calls go to a new
// connection and the old one closes once drained.
func TestH2NewConnectionWhenStreamIDsAreSpent(t *testing.T) {
	tr := newH2(t, testOptions(startGRPC(t, &testRPC{}, "")))
	if _, err := tr.Connect(context.Background(), "s", &rpcpb.ConnectionRequest{}); err != nil {
		t.Fatal(err)
	}
	tr.mu.Lock()
	first := tr.cur
	tr.mu.Unlock()
	first.wmu.Lock()
	first.nextID = h2MaxStreamID - 2
	first.wmu.Unlock()
	for i := range 3 {
		if _, err := tr.Connect(context.Background(), "s", &rpcpb.ConnectionRequest{}); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	tr.mu.Lock()
	second := tr.cur
	tr.mu.Unlock()
	if second == nil || second == first {
		t.Fatal("no new connection after the stream ids ran out")
	}
	deadline := time.Now().Add(10 * time.Second)
	for tr.ActiveConns() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections open, want 1 (the spent one closes when drained)", tr.ActiveConns())
		}
		time.Sleep(time.Millisecond)
	}
}
