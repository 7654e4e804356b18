package rpcclient

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	grpcbackoff "google.golang.org/grpc/backoff"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"

	"github.com/densecable/densecable/rpcclient/rpcpb"
)

// roundRobinConfig spreads calls over every resolved address (dns:///,
// grpc-list://).
const roundRobinConfig = `{"loadBalancingConfig": [{"round_robin":{}}]}`

// GRPCTransport calls anycable.RPC over gRPC. The connection is made lazily
// on the first call, so densecable starts even when the application is not
// up yet.
type GRPCTransport struct {
	conn   *grpc.ClientConn
	client rpcpb.RPCClient
	log    *slog.Logger

	active     atomic.Int64 // open HTTP/2 connections (grpc_active_conn_num)
	recovering atomic.Bool  // backoff reset once per failure episode
}

var _ Transport = (*GRPCTransport)(nil)

// NewGRPCTransport prepares a gRPC client for opts.Host without dialing.
func NewGRPCTransport(opts Options, logger *slog.Logger) (*GRPCTransport, error) {
	t := &GRPCTransport{log: logger}

	dialOpts := []grpc.DialOption{
		grpc.WithKeepaliveParams(keepalive.ClientParameters{
			Time:                10 * time.Second,
			PermitWithoutStream: true,
		}),
		// gRPC's default back-off grows to 120 s: after a long application
		// outage clients would wait minutes after it is back. Cap it at 5 s,
		// like every other dependency's reconnect loop.
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           grpcbackoff.Config{BaseDelay: time.Second, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 5 * time.Second},
			MinConnectTimeout: 5 * time.Second,
		}),
		grpc.WithDefaultServiceConfig(roundRobinConfig),
		grpc.WithResolvers(listResolverBuilder{}),
		grpc.WithStatsHandler(connCounter{active: &t.active, log: logger}),
	}

	if opts.TLSEnabled() {
		cfg, err := opts.tlsConfig()
		if err != nil {
			return nil, err
		}
		dialOpts = append(dialOpts, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	} else {
		dialOpts = append(dialOpts, grpc.WithTransportCredentials(insecure.NewCredentials()))
	}

	var callOpts []grpc.CallOption
	if opts.MaxRecvSize > 0 {
		callOpts = append(callOpts, grpc.MaxCallRecvMsgSize(opts.MaxRecvSize))
	}
	if opts.MaxSendSize > 0 {
		callOpts = append(callOpts, grpc.MaxCallSendMsgSize(opts.MaxSendSize))
	}
	if len(callOpts) > 0 {
		dialOpts = append(dialOpts, grpc.WithDefaultCallOptions(callOpts...))
	}

	conn, err := grpc.NewClient(grpcTarget(opts.Host), dialOpts...)
	if err != nil {
		return nil, fmt.Errorf("grpc client for %q: %w", opts.Host, err)
	}
	t.conn = conn
	t.client = rpcpb.NewRPCClient(conn)
	return t, nil
}

// Connect calls anycable.RPC/Connect.
func (t *GRPCTransport) Connect(ctx context.Context, sid string, req *rpcpb.ConnectionRequest) (*rpcpb.ConnectionResponse, error) {
	return t.client.Connect(t.prepare(ctx, sid), req)
}

// Command calls anycable.RPC/Command.
func (t *GRPCTransport) Command(ctx context.Context, sid string, req *rpcpb.CommandMessage) (*rpcpb.CommandResponse, error) {
	return t.client.Command(t.prepare(ctx, sid), req)
}

// Disconnect calls anycable.RPC/Disconnect.
func (t *GRPCTransport) Disconnect(ctx context.Context, sid string, req *rpcpb.DisconnectRequest) (*rpcpb.DisconnectResponse, error) {
	return t.client.Disconnect(t.prepare(ctx, sid), req)
}

// ActiveConns is the number of open connections to RPC servers.
func (t *GRPCTransport) ActiveConns() int64 { return t.active.Load() }

// Close tears the connection down.
func (t *GRPCTransport) Close() error { return t.conn.Close() }

// prepare attaches the sid/protov metadata and, when the connection is in
// TRANSIENT_FAILURE, skips the reconnect backoff once so a restarted
// application is picked up at once instead of after gRPC's backoff.
func (t *GRPCTransport) prepare(ctx context.Context, sid string) context.Context {
	switch t.conn.GetState() {
	case connectivity.TransientFailure:
		if t.recovering.CompareAndSwap(false, true) {
			t.log.Warn("RPC connection lost, reconnecting immediately")
			t.conn.ResetConnectBackoff()
		}
	case connectivity.Ready:
		if t.recovering.CompareAndSwap(true, false) {
			t.log.Info("RPC connection restored")
		}
	}
	return metadata.AppendToOutgoingContext(ctx, "sid", sid, "protov", ProtoVersions)
}

// connCounter tracks open connections for the grpc_active_conn_num gauge.
type connCounter struct {
	active *atomic.Int64
	log    *slog.Logger
}

func (c connCounter) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context   { return ctx }
func (c connCounter) HandleRPC(context.Context, stats.RPCStats)                         {}
func (c connCounter) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }

func (c connCounter) HandleConn(_ context.Context, s stats.ConnStats) {
	switch s.(type) {
	case *stats.ConnBegin:
		c.active.Add(1)
		c.log.Debug("RPC connection opened")
	case *stats.ConnEnd:
		c.active.Add(-1)
		c.log.Debug("RPC connection closed")
	}
}
