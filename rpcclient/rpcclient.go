// Package rpcclient calls the application's RPC server (anycable.RPC over
// gRPC, or the same contract over HTTP) on behalf of sessions.
//
// A Transport makes one call; Client wraps a Transport with the concurrency
// limiter (fixed or adaptive), retries, timeouts and metrics, so sessions
// only ever see Client.
package rpcclient

import (
	"context"

	"github.com/densecable/densecable/rpcclient/rpcpb"
)

// Transport performs single RPC calls. sid is sent as the `sid` metadata
// (gRPC) or the X-Anycable-Meta-Sid header (HTTP).
type Transport interface {
	Connect(ctx context.Context, sid string, req *rpcpb.ConnectionRequest) (*rpcpb.ConnectionResponse, error)
	Command(ctx context.Context, sid string, req *rpcpb.CommandMessage) (*rpcpb.CommandResponse, error)
	Disconnect(ctx context.Context, sid string, req *rpcpb.DisconnectRequest) (*rpcpb.DisconnectResponse, error)
	Close() error
}

// Caller is what sessions depend on: the same three calls, with limits and
// retries applied.
type Caller interface {
	Connect(ctx context.Context, sid string, req *rpcpb.ConnectionRequest) (*rpcpb.ConnectionResponse, error)
	Command(ctx context.Context, sid string, req *rpcpb.CommandMessage) (*rpcpb.CommandResponse, error)
	Disconnect(ctx context.Context, sid string, req *rpcpb.DisconnectRequest) (*rpcpb.DisconnectResponse, error)
}
