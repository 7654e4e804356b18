package rpcclient

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// invoke runs one logical call: permit, attempt, retry on
// ResourceExhausted/Unavailable with backoff, metrics.
func invoke[Req, Res any](c *Client, ctx context.Context, sid string, req Req, call boundedCall[Req, Res]) (Res, error) {
	var zero Res
	c.stats.calls.Add(1)
	c.active.Add(1)
	defer c.active.Add(-1)

	if c.closed.Load() {
		c.stats.errors.Add(1)
		return zero, ErrClosed
	}
	if ctx.Err() != nil {
		return zero, c.canceled(ctx)
	}

	// The first permit waits as long as the caller does.
	tk, err := c.acquire(ctx)
	if err != nil {
		return zero, c.canceled(ctx)
	}
	if ctx.Err() != nil {
		// The session went away while we waited: do not bother the app.
		c.lim.release(tk, outcomeNeutral)
		return zero, c.canceled(ctx)
	}

	// The command budget covers every attempt and the pauses between them.
	// It is a deadline handed to each attempt, not a context with a timer:
	// the transport expires the call (see boundedCall).
	var budget time.Time
	if c.commandTimeout > 0 {
		budget = time.Now().Add(c.commandTimeout)
	}

	var bo backoff
	for {
		res, err := attempt(c, ctx, budget, tk, sid, req, call)
		if err == nil {
			return res, nil
		}
		if ctx.Err() != nil {
			return zero, c.canceled(ctx)
		}

		code := status.Code(err)
		if code == codes.DeadlineExceeded {
			c.stats.timeouts.Add(1)
		}
		if !retryable(code) {
			c.stats.errors.Add(1)
			return zero, err
		}

		delay := bo.next(code)
		if !c.pause(ctx, budget, delay) {
			if ctx.Err() != nil {
				return zero, c.canceled(ctx)
			}
			// Out of command budget: the last answer explains why.
			c.stats.errors.Add(1)
			return zero, err
		}
		c.stats.retries.Add(1)
		c.log.Debug("RPC retry", "sid", sid, "code", code.String(), "error", status.Convert(err).Message())

		if tk, err = c.acquireBy(ctx, budget); err != nil {
			if ctx.Err() != nil {
				return zero, c.canceled(ctx)
			}
			c.stats.timeouts.Add(1)
			c.stats.errors.Add(1)
			return zero, status.Error(codes.DeadlineExceeded, "rpc command timeout while waiting for a free slot")
		}
	}
}

// attempt makes one call under the held permit tk, bounded by the command
// budget and the request timeout, and returns the permit with what the
// answer says about the servers' capacity.
func attempt[Req, Res any](c *Client, ctx context.Context, budget time.Time, tk ticket, sid string, req Req, call boundedCall[Req, Res]) (Res, error) {
	deadline := budget
	if c.requestTimeout > 0 {
		deadline = earlier(deadline, time.Now().Add(c.requestTimeout))
	}
	res, err := call(ctx, deadline, sid, req)

	o := outcomeNeutral
	switch {
	case err == nil:
		o = outcomeOK
	case status.Code(err) == codes.ResourceExhausted:
		o = outcomeExhausted
	}
	c.lim.release(tk, o)
	return res, err
}

func (c *Client) acquire(ctx context.Context) (ticket, error) {
	c.stats.pending.Add(1)
	tk, err := c.lim.acquire(ctx)
	c.stats.pending.Add(-1)
	return tk, err
}

// acquireBy waits for a permit for a retry, until budget at the latest.
// Retries are rare, so the timer of a context with a deadline is fine here.
func (c *Client) acquireBy(ctx context.Context, budget time.Time) (ticket, error) {
	if !budget.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, budget)
		defer cancel()
	}
	return c.acquire(ctx)
}

// pause sleeps for d unless ctx ends first or the budget (or ctx's
// deadline) cannot last that long.
func (c *Client) pause(ctx context.Context, budget time.Time, d time.Duration) bool {
	if dl, ok := ctx.Deadline(); ok {
		budget = earlier(budget, dl)
	}
	if !budget.IsZero() && time.Until(budget) < d {
		return false
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// canceled records a call dropped because its caller gave up.
func (c *Client) canceled(ctx context.Context) error {
	c.stats.canceled.Add(1)
	return fmt.Errorf("%w: %w", ErrCanceled, context.Cause(ctx))
}
