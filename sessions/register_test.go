package sessions

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/rpcclient/rpcpb"
	"github.com/densecable/densecable/sessions/actioncable"
)

// welcomeRPC accepts every connection with the application's welcome.
type welcomeRPC struct{ fakeRPC }

func (r *welcomeRPC) Connect(context.Context, string, *rpcpb.ConnectionRequest) (*rpcpb.ConnectionResponse, error) {
	return &rpcpb.ConnectionResponse{Status: rpcpb.Status_SUCCESS, Identifiers: `{"user":"r"}`,
		Transmissions: []string{`{"type":"welcome"}`}}, nil
}

// A client that has its welcome can be disconnected remotely at once: the
// session is registered before the welcome is written, whether the
// application (RPC) or an authenticator (JWT) let it in.
func TestRegisteredBeforeWelcome(t *testing.T) {
	for _, tc := range []struct {
		name string
		deps Deps
		ids  string
	}{
		{"rpc", Deps{RPC: &welcomeRPC{}}, `{"user":"r"}`},
		{"authenticator", Deps{Authenticators: []Authenticator{okAuth{}}}, `{"user":"t"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, _ := newTestNode(t, Options{}, tc.deps)
			c := &fakeConn{}
			var atWelcome atomic.Int64
			atWelcome.Store(-1)
			c.onWrite = func(p string) {
				if strings.HasPrefix(p, `{"type":"welcome"`) {
					atWelcome.Store(n.stats.Clients.Load())
					// What a remote disconnect sent on the welcome's heels does.
					n.ExecuteCommand(&broker.RemoteCommand{Command: "disconnect", Identifier: tc.ids})
				}
			}
			s := n.NewSession(c, actioncable.Default(), &frames.Request{URI: "/cable", Host: "localhost"})
			c.mu.Lock()
			c.recv = s
			c.mu.Unlock()
			welcomed(t, c)
			if got := atWelcome.Load(); got != 1 {
				t.Fatalf("clients registered when the welcome was written: %d, want 1", got)
			}
			waitFor(t, "the remote disconnect", func() bool {
				_, ok := c.find(`{"type":"disconnect","reason":"remote"`)
				closed, _, _ := c.closeInfo()
				return ok && closed
			})
			waitFor(t, "the session cleaned up", func() bool { return n.stats.Clients.Load() == 0 })
		})
	}
}
