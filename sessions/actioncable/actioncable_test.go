package actioncable

import (
	"testing"

	"github.com/densecable/densecable/sessions/protocol"
)

// The core's reasons to close map to anycable-go's codes and reasons.
func TestCloseFor(t *testing.T) {
	p := Default()
	for _, c := range []struct {
		kind   protocol.CloseKind
		code   uint16
		reason string
	}{
		{protocol.CloseNormal, 1000, ""},
		{protocol.CloseAuthFailed, 1000, "Auth Failed"},
		{protocol.CloseAuthError, 1011, "Auth Error"},
		{protocol.CloseCommandFailed, 1006, "Command Failed"},
		{protocol.CloseRemote, 1000, "Closed remotely"},
		{protocol.CloseServerRestart, 1001, "Server restart"},
		{protocol.CloseNoPong, 1000, "No Pong"},
		{protocol.CloseTooSlow, 1000, ""},
		{protocol.CloseTooManyRequests, 1008, "Too many messages"},
	} {
		code, reason := p.CloseFor(c.kind)
		if code != c.code || reason != c.reason {
			t.Errorf("kind %d: %d %q, want %d %q", c.kind, code, reason, c.code, c.reason)
		}
	}
}

func TestFor(t *testing.T) {
	for _, name := range Subprotocols {
		p, ok := For(name)
		if !ok || p.Name() != name {
			t.Fatalf("%s: %v %v", name, p, ok)
		}
		if q, _ := For(name); q != p {
			t.Fatalf("%s: a new value per call", name)
		}
	}
	if _, ok := For("graphql-ws"); ok {
		t.Fatal("graphql-ws is not Action Cable")
	}
	if p, _ := For("actioncable-v1-ext-json"); !p.Extended() {
		t.Fatal("ext-json is the extended protocol")
	}
	if Default().Extended() || Default().Name() != "actioncable-v1-json" {
		t.Fatal("default is v1 JSON")
	}
	if got := Default().RejectSubscription(`{"channel":"A"}`); got != `{"type":"reject_subscription","identifier":"{\"channel\":\"A\"}"}` {
		t.Fatalf("reject: %s", got)
	}
}
