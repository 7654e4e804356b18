package benchapp

import (
	"context"

	"github.com/densecable/densecable/rpcclient/rpcpb"
)

// GRPC exposes App as the anycable.RPC gRPC service.
type GRPC struct {
	rpcpb.UnimplementedRPCServer
	App *App
}

func (g *GRPC) Connect(ctx context.Context, req *rpcpb.ConnectionRequest) (*rpcpb.ConnectionResponse, error) {
	return g.App.Connect(ctx, req), nil
}

func (g *GRPC) Command(ctx context.Context, req *rpcpb.CommandMessage) (*rpcpb.CommandResponse, error) {
	return g.App.Command(ctx, req), nil
}

func (g *GRPC) Disconnect(ctx context.Context, req *rpcpb.DisconnectRequest) (*rpcpb.DisconnectResponse, error) {
	return g.App.Disconnect(ctx, req), nil
}
