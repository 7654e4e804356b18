package rpcclient

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/densecable/densecable/rpcclient/rpcpb"
)

// failFirst answers the first n calls with code, then SUCCESS.
func failFirst(n int64, code codes.Code) (*testRPC, *atomic.Int64) {
	var seen atomic.Int64
	srv := &testRPC{}
	srv.command = func(context.Context, *rpcpb.CommandMessage) (*rpcpb.CommandResponse, error) {
		if seen.Add(1) <= n {
			return nil, status.Error(code, "try later")
		}
		return &rpcpb.CommandResponse{Status: rpcpb.Status_SUCCESS}, nil
	}
	return srv, &seen
}

func command(c *Client, ctx context.Context) error {
	_, err := c.Command(ctx, "sid", &rpcpb.CommandMessage{Command: "message", Identifier: "id"})
	return err
}

func TestRetriesOnResourceExhaustedAndUnavailable(t *testing.T) {
	for _, tc := range []struct {
		code  codes.Code
		fails int64
	}{
		{codes.ResourceExhausted, 4}, // 10+20+40+80 ms of backoff
		{codes.Unavailable, 2},       // 100+200 ms of backoff
	} {
		t.Run(tc.code.String(), func(t *testing.T) {
			srv, seen := failFirst(tc.fails, tc.code)
			c := newTestClient(t, testOptions(startGRPC(t, srv, "")))
			if err := command(c, context.Background()); err != nil {
				t.Fatalf("call must succeed after retries: %v", err)
			}
			if seen.Load() != tc.fails+1 {
				t.Fatalf("server saw %d attempts, want %d", seen.Load(), tc.fails+1)
			}
			st := c.Stats()
			if st.CallTotal != 1 || st.RetriesTotal != uint64(tc.fails) || st.ErrorTotal != 0 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

func TestNoRetryOnOtherCodes(t *testing.T) {
	for _, code := range []codes.Code{codes.InvalidArgument, codes.Internal, codes.Unknown, codes.Unauthenticated, codes.NotFound} {
		t.Run(code.String(), func(t *testing.T) {
			srv, seen := failFirst(100, code)
			c := newTestClient(t, testOptions(startGRPC(t, srv, "")))
			err := command(c, context.Background())
			if status.Code(err) != code {
				t.Fatalf("err = %v, want %v", err, code)
			}
			st := c.Stats()
			if seen.Load() != 1 || st.RetriesTotal != 0 || st.ErrorTotal != 1 || st.TimeoutTotal != 0 {
				t.Fatalf("attempts=%d stats=%+v", seen.Load(), st)
			}
		})
	}
}

func TestRetriesStopAtCommandTimeout(t *testing.T) {
	srv, seen := failFirst(1<<40, codes.ResourceExhausted)
	opts := testOptions(startGRPC(t, srv, ""))
	opts.CommandTimeout = 500
	c := newTestClient(t, opts)

	start := time.Now()
	err := command(c, context.Background())
	// Normally the last ResourceExhausted comes back once the next pause no
	// longer fits; on a starved machine the budget may end mid-attempt.
	if code := status.Code(err); code != codes.ResourceExhausted && code != codes.DeadlineExceeded {
		t.Fatalf("err = %v, want the budget to end the retries", err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Fatalf("command budget of 500ms not honoured: %v", elapsed)
	}
	st := c.Stats()
	// Pauses of 10+20+40+80+160 ms fit in 500 ms; adding 320 ms does not.
	if st.RetriesTotal < 1 || st.RetriesTotal > 5 || st.ErrorTotal != 1 || seen.Load() != int64(st.RetriesTotal)+1 {
		t.Fatalf("attempts=%d stats=%+v", seen.Load(), st)
	}
}

func TestRequestTimeoutIsNotRetried(t *testing.T) {
	srv := &testRPC{command: func(ctx context.Context, _ *rpcpb.CommandMessage) (*rpcpb.CommandResponse, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	opts := testOptions(startGRPC(t, srv, ""))
	opts.RequestTimeout = 50
	c := newTestClient(t, opts)

	err := command(c, context.Background())
	if status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
	st := c.Stats()
	if srv.calls.Load() != 1 || st.TimeoutTotal != 1 || st.ErrorTotal != 1 || st.RetriesTotal != 0 {
		t.Fatalf("calls=%d stats=%+v", srv.calls.Load(), st)
	}
}

func TestCommandTimeoutBoundsASlowCall(t *testing.T) {
	srv := &testRPC{command: func(ctx context.Context, _ *rpcpb.CommandMessage) (*rpcpb.CommandResponse, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	opts := testOptions(startGRPC(t, srv, ""))
	opts.CommandTimeout = 80 // no request timeout: the command budget still ends it
	c := newTestClient(t, opts)
	if err := command(c, context.Background()); status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("err = %v", err)
	}
	if st := c.Stats(); st.TimeoutTotal != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestCanceledCallsAreDropped(t *testing.T) {
	release := make(chan struct{})
	srv := &testRPC{command: func(ctx context.Context, _ *rpcpb.CommandMessage) (*rpcpb.CommandResponse, error) {
		<-release
		return &rpcpb.CommandResponse{Status: rpcpb.Status_SUCCESS}, nil
	}}
	opts := testOptions(startGRPC(t, srv, ""))
	opts.Concurrency = 1
	c := newTestClient(t, opts)

	// A session that is already gone never reaches the application.
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	if err := command(c, gone); !errors.Is(err, ErrCanceled) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}

	// One call occupies the only slot; a second waits and its session closes.
	done := make(chan error, 1)
	go func() { done <- command(c, context.Background()) }()
	waitFor(t, func() bool { return srv.calls.Load() == 1 })

	waiting, cancelWaiting := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- command(c, waiting) }()
	waitFor(t, func() bool { return c.Stats().PendingNum == 1 })
	cancelWaiting()
	if err := <-errc; !errors.Is(err, ErrCanceled) {
		t.Fatalf("waiting call: err = %v", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	st := c.Stats()
	if srv.calls.Load() != 1 || st.CanceledTotal != 2 || st.ErrorTotal != 0 || st.CallTotal != 3 || st.PendingNum != 0 {
		t.Fatalf("calls=%d stats=%+v", srv.calls.Load(), st)
	}
}

// concurrencyProbe records the highest number of calls the server handled
// at once; with limit > 0 it answers ResourceExhausted above that.
type concurrencyProbe struct {
	limit    int64
	inflight atomic.Int64
	peak     atomic.Int64
	ok       atomic.Int64
	rejected atomic.Int64
	hold     time.Duration
}

func (p *concurrencyProbe) handle(context.Context, *rpcpb.CommandMessage) (*rpcpb.CommandResponse, error) {
	n := p.inflight.Add(1)
	defer p.inflight.Add(-1)
	for {
		peak := p.peak.Load()
		if n <= peak || p.peak.CompareAndSwap(peak, n) {
			break
		}
	}
	if p.limit > 0 && n > p.limit {
		p.rejected.Add(1)
		return nil, status.Error(codes.ResourceExhausted, "pool is full")
	}
	time.Sleep(p.hold) // the fake server's service time, so that calls overlap; not a wait
	p.ok.Add(1)
	return &rpcpb.CommandResponse{Status: rpcpb.Status_SUCCESS}, nil
}

func runConcurrently(t *testing.T, c *Client, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			if err := command(c, context.Background()); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("call failed: %v", err)
	}
}

func TestFixedConcurrencyBoundsServerLoad(t *testing.T) {
	probe := &concurrencyProbe{hold: 2 * time.Millisecond}
	opts := testOptions(startGRPC(t, &testRPC{command: probe.handle}, ""))
	opts.Concurrency = 4
	c := newTestClient(t, opts)

	runConcurrently(t, c, 100)
	if probe.peak.Load() > 4 {
		t.Fatalf("server saw %d concurrent calls with rpc_concurrency=4", probe.peak.Load())
	}
	if probe.ok.Load() != 100 {
		t.Fatalf("server handled %d of 100 calls", probe.ok.Load())
	}
	if st := c.Stats(); st.CapacityNum != 4 || st.Adaptive || st.PendingNum != 0 || st.CallTotal != 100 {
		t.Fatalf("stats %+v", st)
	}
}

func TestAdaptiveConcurrencyConvergesToServerCapacity(t *testing.T) {
	const serverCapacity = 8
	probe := &concurrencyProbe{limit: serverCapacity, hold: 3 * time.Millisecond}
	opts := testOptions(startGRPC(t, &testRPC{command: probe.handle}, ""))
	opts.Concurrency = 0 // adaptive, starting at 25 > capacity
	opts.ConcurrencyMin = 2
	opts.CommandTimeout = 15000
	c := newTestClient(t, opts)

	runConcurrently(t, c, 200) // every call must eventually succeed

	if probe.ok.Load() != 200 {
		t.Fatalf("server completed %d of 200 calls", probe.ok.Load())
	}
	st := c.Stats()
	if probe.rejected.Load() == 0 || st.RetriesTotal != uint64(probe.rejected.Load()) {
		t.Fatalf("starting above capacity must cause retried rejections: rejected=%d stats=%+v", probe.rejected.Load(), st)
	}
	// The limit shrank from 25 to about the server's capacity: growth needs
	// `limit` successes in a row with callers waiting, and every step above
	// the capacity is answered with ResourceExhausted, so at most a couple
	// of steps over can be in effect.
	t.Logf("final capacity %d, rejected %d", st.CapacityNum, probe.rejected.Load())
	if st.CapacityNum > serverCapacity+2 || st.CapacityNum < 2 {
		t.Fatalf("capacity %d did not converge to <= %d", st.CapacityNum, serverCapacity+2)
	}
	if !st.Adaptive || st.ErrorTotal != 0 || st.PendingNum != 0 || st.CallTotal != 200 {
		t.Fatalf("stats %+v", st)
	}
}

func TestShutdownWaitsForActiveCalls(t *testing.T) {
	release := make(chan struct{})
	srv := &testRPC{command: func(context.Context, *rpcpb.CommandMessage) (*rpcpb.CommandResponse, error) {
		<-release
		return &rpcpb.CommandResponse{Status: rpcpb.Status_SUCCESS}, nil
	}}
	c, err := New(testOptions(startGRPC(t, srv, "")), discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- command(c, context.Background()) }()
	waitFor(t, func() bool { return srv.calls.Load() == 1 })

	shut := make(chan error, 1)
	go func() { shut <- c.Shutdown(context.Background()) }()
	// New calls are refused as soon as shutdown starts.
	waitFor(t, func() bool { return c.closed.Load() })
	if err := command(c, context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("call during shutdown: %v", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("in-flight call must complete: %v", err)
	}
	if err := <-shut; err != nil {
		t.Fatal(err)
	}
}

func TestShutdownGivesUpAtDeadline(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv := &testRPC{command: func(context.Context, *rpcpb.CommandMessage) (*rpcpb.CommandResponse, error) {
		<-release
		return &rpcpb.CommandResponse{Status: rpcpb.Status_SUCCESS}, nil
	}}
	c, err := New(testOptions(startGRPC(t, srv, "")), discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = command(c, context.Background()) }()
	waitFor(t, func() bool { return srv.calls.Load() == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if err := c.Shutdown(ctx); err == nil {
		t.Fatal("shutdown with a stuck call must report it")
	}
}
