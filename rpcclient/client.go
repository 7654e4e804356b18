package rpcclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/densecable/densecable/rpcclient/rpcpb"
)

// ErrCanceled wraps the caller's context error when a call is dropped
// because the caller (usually a closed session) gave up
// (rpc_canceled_total). errors.Is also matches the context error.
var ErrCanceled = errors.New("rpc call canceled")

// ErrClosed is returned for calls made after Close.
var ErrClosed = errors.New("rpc client is closed")

// ErrNoRPC is returned by New when rpc_impl is "none": there is nothing to
// call, sessions use their no-RPC controller instead.
var ErrNoRPC = errors.New("rpc is disabled (rpc_impl=none)")

// Client implements Caller on top of a Transport: the concurrency limiter,
// retries on ResourceExhausted/Unavailable, timeouts and metrics.
//
// Context rules: a ctx that is done before the call starts drops it
// (rpc_canceled_total); waiting for the first permit is bounded only by ctx
// (nothing accepted is lost to a queue timeout); from the first attempt on,
// the whole call including retries is bounded by rpc_command_timeout and
// each attempt by the request timeout.
type Client struct {
	transport      Transport
	lim            limiter
	log            *slog.Logger
	requestTimeout time.Duration
	commandTimeout time.Duration
	adaptive       bool

	stats  Stats
	active atomic.Int64 // calls inside the client, for Shutdown
	closed atomic.Bool

	// Bound once, so calls do not allocate closures. Each takes the
	// attempt's deadline (zero: none) besides ctx.
	connectFn    boundedCall[*rpcpb.ConnectionRequest, *rpcpb.ConnectionResponse]
	commandFn    boundedCall[*rpcpb.CommandMessage, *rpcpb.CommandResponse]
	disconnectFn boundedCall[*rpcpb.DisconnectRequest, *rpcpb.DisconnectResponse]
}

var _ Caller = (*Client)(nil)

// activeConnsReporter is implemented by transports that know their open
// connection count (gRPC).
type activeConnsReporter interface{ ActiveConns() int64 }

// New builds the transport chosen by opts (gRPC or HTTP) and wraps it. No
// connection is made until the first call.
func New(opts Options, logger *slog.Logger) (*Client, error) {
	if logger == nil {
		logger = slog.Default()
	}
	logger = logger.With("context", "rpc")

	impl := opts.ResolvedImpl()
	var (
		t   Transport
		err error
	)
	switch impl {
	case ImplGRPC:
		if useH2Transport(opts) {
			t = NewH2Transport(opts, logger.With("impl", ImplGRPC))
		} else {
			t, err = NewGRPCTransport(opts, logger.With("impl", ImplGRPC))
		}
	case ImplHTTP:
		t, err = NewHTTPTransport(opts, logger.With("impl", ImplHTTP))
	case ImplNone:
		return nil, ErrNoRPC
	default:
		return nil, fmt.Errorf("unknown RPC implementation: %q", impl)
	}
	if err != nil {
		return nil, err
	}

	c := NewWithTransport(t, opts, logger)
	logger.Info(fmt.Sprintf(
		"RPC controller initialized: %s (concurrency: %s, impl: %s, enable_tls: %t, proto_versions: %s, proxy_headers: %s, proxy_cookies: %s)",
		opts.Host, c.lim.describe(), impl, opts.TLSEnabled(), ProtoVersions,
		listOr(opts.ProxyHeaders, "<none>"), listOr(opts.ProxyCookies, "<all>"),
	))
	return c, nil
}

// NewWithTransport wraps an existing transport (tests, custom transports).
func NewWithTransport(t Transport, opts Options, logger *slog.Logger) *Client {
	if logger == nil {
		logger = slog.Default()
	}
	c := &Client{
		transport:      t,
		log:            logger,
		requestTimeout: opts.requestTimeout(),
		commandTimeout: opts.commandTimeout(),
		adaptive:       opts.Adaptive(),
	}
	if c.adaptive {
		c.lim = newAdaptiveLimiter(opts.adaptiveBounds())
	} else {
		if opts.Concurrency < 0 {
			logger.Warn("RPC concurrency must be positive, reverted to the default value", "value", opts.Concurrency)
		}
		c.lim = newFixedLimiter(opts.fixedConcurrency())
	}
	if dt, ok := t.(deadlineTransport); ok {
		c.connectFn, c.commandFn, c.disconnectFn = dt.connectBy, dt.commandBy, dt.disconnectBy
	} else {
		c.connectFn = withDeadline(t.Connect)
		c.commandFn = withDeadline(t.Command)
		c.disconnectFn = withDeadline(t.Disconnect)
	}
	return c
}

// Connect performs the Connect call.
func (c *Client) Connect(ctx context.Context, sid string, req *rpcpb.ConnectionRequest) (*rpcpb.ConnectionResponse, error) {
	return invoke(c, ctx, sid, req, c.connectFn)
}

// Command performs the Command call (subscribe, unsubscribe, message).
func (c *Client) Command(ctx context.Context, sid string, req *rpcpb.CommandMessage) (*rpcpb.CommandResponse, error) {
	return invoke(c, ctx, sid, req, c.commandFn)
}

// Disconnect performs the Disconnect call.
func (c *Client) Disconnect(ctx context.Context, sid string, req *rpcpb.DisconnectRequest) (*rpcpb.DisconnectResponse, error) {
	return invoke(c, ctx, sid, req, c.disconnectFn)
}

// Stats returns the current RPC metrics.
func (c *Client) Stats() StatsSnapshot {
	s := StatsSnapshot{
		CallTotal:     c.stats.calls.Load(),
		RetriesTotal:  c.stats.retries.Load(),
		ErrorTotal:    c.stats.errors.Load(),
		TimeoutTotal:  c.stats.timeouts.Load(),
		CanceledTotal: c.stats.canceled.Load(),
		PendingNum:    c.stats.pending.Load(),
		CapacityNum:   int64(c.lim.capacity()),
		Adaptive:      c.adaptive,
	}
	if r, ok := c.transport.(activeConnsReporter); ok {
		s.GRPCActiveConnNum = r.ActiveConns()
		s.HasActiveConns = true
	}
	return s
}

// Shutdown stops accepting calls, waits for the ones in progress until ctx
// is done, then closes the transport.
func (c *Client) Shutdown(ctx context.Context) error {
	if c.closed.Swap(true) {
		return nil
	}
	var waitErr error
	if n := c.active.Load(); n > 0 {
		c.log.Info("waiting for active RPC calls to finish", "num", n)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for c.active.Load() > 0 && waitErr == nil {
			select {
			case <-tick.C:
			case <-ctx.Done():
				waitErr = fmt.Errorf("terminated while completing active RPC calls: %d", c.active.Load())
			}
		}
		if waitErr == nil {
			c.log.Info("all active RPC calls finished")
		}
	}
	if err := c.transport.Close(); err != nil {
		return errors.Join(waitErr, fmt.Errorf("close rpc transport: %w", err))
	}
	return waitErr
}

// Close is Shutdown bounded by the command timeout (3 s when unbounded).
func (c *Client) Close() error {
	wait := c.commandTimeout
	if wait <= 0 {
		wait = ms(DefaultCommandTimeoutMS)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	return c.Shutdown(ctx)
}

func listOr(items []string, empty string) string {
	if len(items) == 0 {
		return empty
	}
	return strings.Join(items, ",")
}
