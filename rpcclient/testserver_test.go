package rpcclient

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/densecable/densecable/rpcclient/rpcpb"
)

// testRPC is a real anycable.RPC gRPC server for tests. Handlers left nil
// answer SUCCESS.
type testRPC struct {
	rpcpb.UnimplementedRPCServer

	connect    func(context.Context, *rpcpb.ConnectionRequest) (*rpcpb.ConnectionResponse, error)
	command    func(context.Context, *rpcpb.CommandMessage) (*rpcpb.CommandResponse, error)
	disconnect func(context.Context, *rpcpb.DisconnectRequest) (*rpcpb.DisconnectResponse, error)

	calls atomic.Int64

	mu       sync.Mutex
	metadata []metadata.MD
}

func (s *testRPC) record(ctx context.Context) {
	s.calls.Add(1)
	md, _ := metadata.FromIncomingContext(ctx)
	s.mu.Lock()
	s.metadata = append(s.metadata, md)
	s.mu.Unlock()
}

func (s *testRPC) lastMetadata() metadata.MD {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.metadata) == 0 {
		return nil
	}
	return s.metadata[len(s.metadata)-1]
}

func (s *testRPC) Connect(ctx context.Context, req *rpcpb.ConnectionRequest) (*rpcpb.ConnectionResponse, error) {
	s.record(ctx)
	if s.connect != nil {
		return s.connect(ctx, req)
	}
	return &rpcpb.ConnectionResponse{Status: rpcpb.Status_SUCCESS, Identifiers: "ids"}, nil
}

func (s *testRPC) Command(ctx context.Context, req *rpcpb.CommandMessage) (*rpcpb.CommandResponse, error) {
	s.record(ctx)
	if s.command != nil {
		return s.command(ctx, req)
	}
	return &rpcpb.CommandResponse{Status: rpcpb.Status_SUCCESS}, nil
}

func (s *testRPC) Disconnect(ctx context.Context, req *rpcpb.DisconnectRequest) (*rpcpb.DisconnectResponse, error) {
	s.record(ctx)
	if s.disconnect != nil {
		return s.disconnect(ctx, req)
	}
	return &rpcpb.DisconnectResponse{Status: rpcpb.Status_SUCCESS}, nil
}

// startGRPC serves srv on a free 127.0.0.1 port (or on addr when given) and
// returns the address.
func startGRPC(t testing.TB, srv *testRPC, addr string, opts ...grpc.ServerOption) string {
	t.Helper()
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	s := grpc.NewServer(opts...)
	rpcpb.RegisterRPCServer(s, srv)
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	return lis.Addr().String()
}

// freeAddr returns a 127.0.0.1 address nobody listens on (right now).
func freeAddr(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := lis.Addr().String()
	_ = lis.Close()
	return addr
}

// testOptions are the defaults with a command budget generous enough for a
// loaded CI machine; tests about the budget set their own.
func testOptions(host string) Options {
	o := DefaultOptions()
	o.Host = host
	o.CommandTimeout = 10000
	return o
}

func newTestClient(t *testing.T, opts Options) *Client {
	t.Helper()
	c, err := New(opts, discardLogger())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}
