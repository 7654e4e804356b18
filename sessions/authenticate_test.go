package sessions

import (
	"context"
	"testing"

	"github.com/densecable/densecable/frames"
)

type rejectAuth struct{}

func (rejectAuth) Authenticate(string, *frames.Request) AuthResult {
	return AuthResult{Outcome: AuthReject, Reason: "unauthorized"}
}

// Authenticate asks the authenticators first, then RPC; without either it
// refuses; a refusal counts as a failed auth.
func TestAuthenticateOneOff(t *testing.T) {
	req := &frames.Request{URI: "/ds/x", Host: "h"}
	for _, c := range []struct {
		name string
		deps Deps
		ids  string
		ok   bool
	}{
		{"authenticator", Deps{Authenticators: []Authenticator{okAuth{}}}, `{"user":"t"}`, true},
		{"rpc", Deps{RPC: &fakeRPC{}}, `{"user":"r"}`, true},
		{"rejected", Deps{Authenticators: []Authenticator{rejectAuth{}}, RPC: &fakeRPC{}}, "", false},
		{"nobody", Deps{}, "", false},
	} {
		n, _ := newTestNode(t, Options{}, c.deps)
		ids, ok := n.Authenticate(context.Background(), req, "127.0.0.1")
		if ids != c.ids || ok != c.ok {
			t.Errorf("%s: %q %v, want %q %v", c.name, ids, ok, c.ids, c.ok)
		}
		if failed := n.Stats().FailedAuths.Load(); (failed == 1) == c.ok {
			t.Errorf("%s: failed auths %d", c.name, failed)
		}
	}
}
