package rpcclient

import (
	"context"
	"testing"

	"github.com/densecable/densecable/rpcclient/rpcpb"
)

// nopTransport answers at once, isolating the client's own overhead.
type nopTransport struct{}

var nopCommandResponse = &rpcpb.CommandResponse{Status: rpcpb.Status_SUCCESS}

func (nopTransport) Connect(context.Context, string, *rpcpb.ConnectionRequest) (*rpcpb.ConnectionResponse, error) {
	return &rpcpb.ConnectionResponse{}, nil
}
func (nopTransport) Command(context.Context, string, *rpcpb.CommandMessage) (*rpcpb.CommandResponse, error) {
	return nopCommandResponse, nil
}
func (nopTransport) Disconnect(context.Context, string, *rpcpb.DisconnectRequest) (*rpcpb.DisconnectResponse, error) {
	return &rpcpb.DisconnectResponse{}, nil
}
func (nopTransport) Close() error { return nil }

func benchmarkClientOverhead(b *testing.B, concurrency int) {
	opts := DefaultOptions()
	opts.Concurrency = concurrency
	c := NewWithTransport(nopTransport{}, opts, discardLogger())
	req := &rpcpb.CommandMessage{Command: "message"}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Command(context.Background(), "sid", req); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkClientOverheadFixed(b *testing.B)    { benchmarkClientOverhead(b, 28) }
func BenchmarkClientOverheadAdaptive(b *testing.B) { benchmarkClientOverhead(b, 0) }

// BenchmarkGRPCCommand runs the built-in HTTP/2 client (the default for a
// plain host:port); BenchmarkGRPCGoCommand the grpc-go client it replaces.
func BenchmarkGRPCCommand(b *testing.B)   { benchmarkGRPCCommand(b, false, 1) }
func BenchmarkGRPCGoCommand(b *testing.B) { benchmarkGRPCCommand(b, true, 1) }

// BenchmarkGRPCCommandConcurrent has 16 callers per CPU, as a connect storm
// keeps the limiter's 28 calls in flight: calls that share writes show here.
func BenchmarkGRPCCommandConcurrent(b *testing.B) { benchmarkGRPCCommand(b, false, 16) }

func benchmarkGRPCCommand(b *testing.B, grpcGo bool, parallelism int) {
	addr := startGRPC(b, &testRPC{}, "")
	opts := testOptions(addr)
	opts.GRPCGo = grpcGo
	c, err := New(opts, discardLogger())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	req := &rpcpb.CommandMessage{Command: "message", Identifier: `{"channel":"Chat"}`, Data: `{"action":"speak"}`}
	b.ReportAllocs()
	b.SetParallelism(parallelism)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Command(context.Background(), "sid", req); err != nil {
				b.Fatal(err)
			}
		}
	})
}
