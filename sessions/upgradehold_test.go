package sessions

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/rpcclient/rpcpb"
	"github.com/densecable/densecable/sessions/actioncable"
)

// corkedConn is a transport whose 101 waits in its cork (poller.Conn
// during Open): it counts the Flush calls that would send it.
type corkedConn struct {
	fakeConn
	flushes atomic.Int64
}

func (c *corkedConn) UpgradeCorked() bool { return true }
func (c *corkedConn) Flush() error {
	c.flushes.Add(1)
	return nil
}

// gatedRPC answers Connect with res (or err) once gate is closed.
type gatedRPC struct {
	fakeRPC
	gate    chan struct{}
	entered chan struct{}
	res     *rpcpb.ConnectionResponse
	err     error
}

func (r *gatedRPC) Connect(context.Context, string, *rpcpb.ConnectionRequest) (*rpcpb.ConnectionResponse, error) {
	close(r.entered)
	<-r.gate
	return r.res, r.err
}

func openCorked(t *testing.T, rpc *gatedRPC, bound time.Duration) (*Session, *corkedConn) {
	t.Helper()
	n, _ := newTestNode(t, Options{}, Deps{RPC: rpc})
	n.upgradeHold.after = bound
	c := &corkedConn{}
	s := n.NewSession(c, actioncable.Default(), &frames.Request{URI: "/cable", Host: "localhost"})
	c.mu.Lock()
	c.recv = s
	c.mu.Unlock()
	if !s.HoldsUpgradeResponse() {
		t.Fatal("a session authenticating at once over a corking transport does not hold the 101")
	}
	return s, c
}

// A Connect the application is slow to answer does not keep the 101: the
// node's timer flushes it while the call is still out.
func TestUpgradeHoldBoundedWhileConnectIsOut(t *testing.T) {
	rpc := &gatedRPC{gate: make(chan struct{}), entered: make(chan struct{}),
		res: &rpcpb.ConnectionResponse{Status: rpcpb.Status_SUCCESS, Identifiers: "{}", Transmissions: []string{`{"type":"welcome"}`}}}
	_, c := openCorked(t, rpc, 0)
	<-rpc.entered
	waitFor(t, "the 101 flushed while Connect is out", func() bool { return c.flushes.Load() > 0 })
	if _, ok := c.find(`{"type":"welcome"`); ok {
		t.Fatal("welcome before Connect answered")
	}
	close(rpc.gate)
	welcomed(t, &c.fakeConn)
}

// Whatever Connect's outcome, the session flushes after it: a welcome, a
// rejection (disconnect message and close) or a failed call.
func TestUpgradeHoldFlushedAfterConnect(t *testing.T) {
	for name, rpc := range map[string]*gatedRPC{
		"success":  {res: &rpcpb.ConnectionResponse{Status: rpcpb.Status_SUCCESS, Identifiers: "{}"}},
		"rejected": {res: &rpcpb.ConnectionResponse{Status: rpcpb.Status_FAILURE, Transmissions: []string{`{"type":"disconnect","reason":"unauthorized","reconnect":false}`}}},
		"failed":   {err: errors.New("application down")},
	} {
		t.Run(name, func(t *testing.T) {
			rpc.gate, rpc.entered = make(chan struct{}), make(chan struct{})
			close(rpc.gate)
			// No timer within the test: only the Connect task flushes.
			_, c := openCorked(t, rpc, time.Hour)
			<-rpc.entered
			waitFor(t, "a flush after Connect", func() bool { return c.flushes.Load() > 0 })
			if name == "rejected" {
				waitFor(t, "the disconnect message and the close", func() bool {
					closed, _, _ := c.closeInfo()
					_, ok := c.find(`{"type":"disconnect","reason":"unauthorized"`)
					return closed && ok
				})
			}
		})
	}
}
