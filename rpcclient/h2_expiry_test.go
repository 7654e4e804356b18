package rpcclient

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/densecable/densecable/rpcclient/rpcpb"
)

// silentH2 is an HTTP/2 server that takes calls and never answers them,
// not even when their grpc-timeout passes (grpc-go's server would answer
// DeadlineExceeded itself): only the client's own expiry can end a call.
// It reports each request's stream id and grpc-timeout, and each
// RST_STREAM it receives.
type silentH2 struct {
	addr    string
	headers chan silentRequest
	resets  chan *http2.RSTStreamFrame
}

type silentRequest struct {
	id      uint32
	timeout string
}

func startSilentH2(t *testing.T) *silentH2 {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lis.Close() })
	s := &silentH2{
		addr:    lis.Addr().String(),
		headers: make(chan silentRequest, 128),
		resets:  make(chan *http2.RSTStreamFrame, 128),
	}
	go func() {
		nc, err := lis.Accept()
		if err != nil {
			return
		}
		t.Cleanup(func() { _ = nc.Close() })
		preface := make([]byte, len(http2.ClientPreface))
		if _, err := io.ReadFull(nc, preface); err != nil {
			return
		}
		fr := http2.NewFramer(nc, nc)
		fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
		if fr.WriteSettings() != nil {
			return
		}
		for {
			f, err := fr.ReadFrame()
			if err != nil {
				return
			}
			switch f := f.(type) {
			case *http2.MetaHeadersFrame:
				s.headers <- silentRequest{id: f.StreamID, timeout: headerValue(f, "grpc-timeout")}
			case *http2.RSTStreamFrame:
				s.resets <- f
			case *http2.SettingsFrame:
				if !f.IsAck() && fr.WriteSettingsAck() != nil {
					return
				}
			}
		}
	}()
	return s
}

func headerValue(f *http2.MetaHeadersFrame, name string) string {
	for _, hf := range f.RegularFields() {
		if hf.Name == name {
			return hf.Value
		}
	}
	return ""
}

// receive waits for the next value of ch, failing the test after 10 s.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s within 10 s", what)
		panic("unreachable")
	}
}

// The command budget ends a call the server never answers: the caller gets
// DeadlineExceeded no earlier than the budget, the server got the budget
// as grpc-timeout and then an RST_STREAM (CANCEL) for the stream, as with
// grpc-go's client. Without the connection's expiry the call would hang.
func TestH2CommandBudgetExpiresUnansweredCall(t *testing.T) {
	srv := startSilentH2(t)
	opts := testOptions(srv.addr)
	opts.CommandTimeout = 100
	c := newTestClient(t, opts)

	start := time.Now()
	errc := make(chan error, 1)
	go func() {
		_, err := c.Command(context.Background(), "s", &rpcpb.CommandMessage{Command: "subscribe"})
		errc <- err
	}()
	req := receive(t, srv.headers, "request")
	if req.timeout == "" {
		t.Fatal("no grpc-timeout sent")
	}
	if d, err := parseGRPCTimeout(req.timeout); err != nil || d < 50*time.Millisecond || d > 100*time.Millisecond {
		t.Fatalf("grpc-timeout %q (%v, %v), want at most the 100ms budget", req.timeout, d, err)
	}
	err := receive(t, errc, "result")
	if st := status.Convert(err); st.Code() != codes.DeadlineExceeded || st.Message() != context.DeadlineExceeded.Error() {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
	if elapsed := time.Since(start); elapsed < 100*time.Millisecond {
		t.Fatalf("expired after %v, before the 100ms budget", elapsed)
	}
	rst := receive(t, srv.resets, "RST_STREAM")
	if rst.StreamID != req.id || rst.ErrCode != http2.ErrCodeCancel {
		t.Fatalf("RST_STREAM %d %v, want %d CANCEL", rst.StreamID, rst.ErrCode, req.id)
	}
	if st := c.Stats(); st.TimeoutTotal != 1 || st.ErrorTotal != 1 || st.RetriesTotal != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// Calls with different deadlines on one connection each expire at their
// own: the shared timer is moved earlier for an earlier deadline and
// re-armed for the next one after it fires.
func TestH2CallsExpireInDeadlineOrder(t *testing.T) {
	srv := startSilentH2(t)
	tr := newH2(t, testOptions(srv.addr))
	budgets := []time.Duration{400 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond}
	type result struct {
		i       int
		err     error
		elapsed time.Duration
	}
	results := make(chan result, len(budgets))
	for i, b := range budgets {
		go func() {
			start := time.Now()
			_, err := tr.commandBy(context.Background(), start.Add(b), "s", &rpcpb.CommandMessage{})
			results <- result{i, err, time.Since(start)}
		}()
		receive(t, srv.headers, "request") // in this order on the wire
	}
	var order []int
	for range budgets {
		r := receive(t, results, "expired call")
		if status.Code(r.err) != codes.DeadlineExceeded {
			t.Fatalf("call %d: err = %v, want DeadlineExceeded", r.i, r.err)
		}
		if r.elapsed < budgets[r.i] {
			t.Fatalf("call %d expired after %v, before its %v", r.i, r.elapsed, budgets[r.i])
		}
		order = append(order, r.i)
	}
	if order[0] != 1 || order[1] != 2 || order[2] != 0 {
		t.Fatalf("expired in order %v, want [1 2 0]", order)
	}
	for range budgets {
		if rst := receive(t, srv.resets, "RST_STREAM"); rst.ErrCode != http2.ErrCodeCancel {
			t.Fatalf("RST_STREAM code %v", rst.ErrCode)
		}
	}
}

// A call without a deadline of the client's own is not expired; the
// caller's context still ends it.
func TestH2NoDeadlineOnlyContextEndsTheCall(t *testing.T) {
	srv := startSilentH2(t)
	tr := newH2(t, testOptions(srv.addr))
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := tr.commandBy(ctx, time.Time{}, "s", &rpcpb.CommandMessage{})
		errc <- err
	}()
	req := receive(t, srv.headers, "request")
	if req.timeout != "" {
		t.Fatalf("grpc-timeout %q sent for a call without deadline", req.timeout)
	}
	// Another call with a short deadline makes the expiry timer fire
	// while the first is in flight.
	short := make(chan error, 1)
	go func() {
		_, err := tr.commandBy(context.Background(), time.Now().Add(20*time.Millisecond), "s", &rpcpb.CommandMessage{})
		short <- err
	}()
	if err := receive(t, short, "short call's result"); status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("short call: err = %v", err)
	}
	receive(t, srv.resets, "RST_STREAM of the short call")
	select {
	case err := <-errc:
		t.Fatalf("call without deadline ended: %v", err)
	default:
	}
	cancel()
	if err := receive(t, errc, "canceled call"); status.Code(err) != codes.Canceled {
		t.Fatalf("err = %v, want Canceled", err)
	}
	if rst := receive(t, srv.resets, "RST_STREAM"); rst.StreamID != req.id {
		t.Fatalf("RST_STREAM for %d, want %d", rst.StreamID, req.id)
	}
}

// parseGRPCTimeout reads a grpc-timeout value (digits and a unit).
func parseGRPCTimeout(v string) (time.Duration, error) {
	if len(v) < 2 {
		return 0, status.Error(codes.Internal, "short grpc-timeout")
	}
	units := map[byte]time.Duration{'n': time.Nanosecond, 'u': time.Microsecond, 'm': time.Millisecond, 'S': time.Second, 'M': time.Minute, 'H': time.Hour}
	u, ok := units[v[len(v)-1]]
	if !ok {
		return 0, status.Error(codes.Internal, "bad grpc-timeout unit")
	}
	var n int64
	for _, ch := range v[:len(v)-1] {
		if ch < '0' || ch > '9' {
			return 0, status.Error(codes.Internal, "bad grpc-timeout digits")
		}
		n = n*10 + int64(ch-'0')
	}
	return time.Duration(n) * u, nil
}
