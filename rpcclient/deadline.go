package rpcclient

import (
	"context"
	"time"

	"github.com/densecable/densecable/rpcclient/rpcpb"
)

// boundedCall is one attempt of a call that must end by deadline (zero:
// no deadline of the client's own; ctx may still carry the caller's).
//
// The deadline is passed beside ctx rather than as a context.WithDeadline
// because that costs a timer and a context per call (about 5 µs of a
// connect + subscribe's 160 on a loaded server), while a transport that
// tracks its calls can expire them from one shared timer.
type boundedCall[Req, Res any] func(ctx context.Context, deadline time.Time, sid string, req Req) (Res, error)

// deadlineTransport is a Transport that enforces a call's deadline itself
// (H2Transport); calls fail with codes.DeadlineExceeded when it passes.
type deadlineTransport interface {
	connectBy(context.Context, time.Time, string, *rpcpb.ConnectionRequest) (*rpcpb.ConnectionResponse, error)
	commandBy(context.Context, time.Time, string, *rpcpb.CommandMessage) (*rpcpb.CommandResponse, error)
	disconnectBy(context.Context, time.Time, string, *rpcpb.DisconnectRequest) (*rpcpb.DisconnectResponse, error)
}

// withDeadline adapts a Transport method, which only knows ctx, by
// deriving a context with the deadline.
func withDeadline[Req, Res any](f func(context.Context, string, Req) (Res, error)) boundedCall[Req, Res] {
	return func(ctx context.Context, deadline time.Time, sid string, req Req) (Res, error) {
		if !deadline.IsZero() {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, deadline)
			defer cancel()
		}
		return f(ctx, sid, req)
	}
}

// earlier returns the earlier of two deadlines, zero meaning none.
func earlier(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// deadlineTimer is a channel that fires at deadline (nil, never, for a zero
// one) for the rare waits a call makes before it is in a connection's
// stream table (a dial, a stream slot, send window), where the shared
// expiry timer cannot see it. stop releases the timer.
func deadlineTimer(deadline time.Time) (<-chan time.Time, func()) {
	if deadline.IsZero() {
		return nil, func() {}
	}
	t := time.NewTimer(time.Until(deadline))
	return t.C, func() { t.Stop() }
}
