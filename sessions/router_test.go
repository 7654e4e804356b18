package sessions

import (
	"sync"
	"testing"

	"github.com/densecable/densecable/encoders"
	"github.com/densecable/densecable/rpcclient/rpcpb"
	"github.com/densecable/densecable/sessions/actioncable"
	"github.com/densecable/densecable/sessions/protocol"
)

// stateRouter serves every identifier as its own stream, with whisper
// state for subscribers that may send commands, and records what it was
// told.
type stateRouter struct {
	mu   sync.Mutex
	told map[string]bool // identifier → clientCommands
}

func (r *stateRouter) Subscribe(_, _, identifier string, clientCommands bool) *rpcpb.CommandResponse {
	r.mu.Lock()
	r.told[identifier] = clientCommands
	r.mu.Unlock()
	res := &rpcpb.CommandResponse{Status: rpcpb.Status_SUCCESS, Streams: []string{identifier}}
	if clientCommands {
		res.Env = &rpcpb.EnvResponse{Istate: map[string]string{"$w": identifier}}
	}
	return res
}

func (r *stateRouter) clientCommands(identifier string) (told, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	told, ok = r.told[identifier]
	return told, ok
}

// listenOnly is Action Cable with the SSE protocols' policy.
type listenOnly struct{ *actioncable.Protocol }

func (listenOnly) Policy() protocol.Policy { return protocol.Policy{ListenOnly: true} }

// The core tells the router whether the subscriber can send commands: not
// a listen-only one (its channel then keeps no state), unless the
// subscription itself joins presence.
func TestListenOnlyPolicyReachesTheRouter(t *testing.T) {
	r := &stateRouter{told: map[string]bool{}}
	n, _ := newTestNode(t, Options{}, Deps{Authenticators: []Authenticator{okAuth{}}, Router: r})
	cases := []struct {
		name     string
		proto    protocol.Protocol
		presence bool
		want     bool
	}{
		{"action cable", actioncable.Default(), false, true},
		{"listen-only", listenOnly{actioncable.Default()}, false, false},
		{"listen-only, joining presence", listenOnly{actioncable.Default()}, true, true},
	}
	for _, c := range cases {
		s, conn := connectWith(n, c.proto, "/cable")
		welcomed(t, conn)
		m := &encoders.Message{Command: "subscribe", Identifier: c.name}
		if c.presence {
			m.Presence = &encoders.PresenceRequest{ID: "u1"}
		}
		s.ReceiveCommand(m, len(m.Identifier))
		waitFor(t, c.name+" subscribed", func() bool { _, ok := r.clientCommands(c.name); return ok })
		if told, _ := r.clientCommands(c.name); told != c.want {
			t.Errorf("%s: router told clientCommands=%v, want %v", c.name, told, c.want)
		}
		state := make(chan string, 1)
		s.push(task{kind: taskTest, hook: func() {
			ch := s.channels.get(c.name)
			if ch == nil {
				state <- "no channel"
				return
			}
			state <- ch.istate.get("$w")
		}})
		want := ""
		if c.want {
			want = c.name
		}
		if got := <-state; got != want {
			t.Errorf("%s: channel whisper state %q, want %q", c.name, got, want)
		}
	}
}
