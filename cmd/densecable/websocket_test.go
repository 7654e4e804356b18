package main

import (
	"testing"

	"github.com/densecable/densecable/sessions/actioncable"
)

// A protocol is chosen by its path prefix first, then by the negotiated
// sub-protocol; without either a client speaks Action Cable JSON. A
// protocol's path is a WebSocket endpoint besides --path.
func TestProtocolChoice(t *testing.T) {
	h := newWSHandler([]string{"/cable"}, nil, "test", nil)
	byPath, _ := actioncable.For("actioncable-v1-ext-protobuf") // stands for a path-chosen protocol
	h.protocols = append(h.protocols, namedProtocol{path: "/app/", proto: byPath})
	msgpack, _ := actioncable.For("actioncable-v1-msgpack")
	for _, c := range []struct {
		path, sub string
		want      any
	}{
		{"/cable", "", actioncable.Default()},
		{"/cable", "actioncable-v1-json", actioncable.Default()},
		{"/cable", "actioncable-v1-msgpack", msgpack},
		{"/cable", "unknown", actioncable.Default()},
		{"/app/key1", "", byPath},
		{"/app/key1", "actioncable-v1-msgpack", byPath},
	} {
		if got := h.protocolFor(c.path, c.sub); got != c.want {
			t.Errorf("%s %q: %v, want %v", c.path, c.sub, got, c.want)
		}
	}
	for path, want := range map[string]bool{"/cable": true, "/app/key1": true, "/other": false} {
		if got := h.UpgradeOptions(path) != nil; got != want {
			t.Errorf("UpgradeOptions(%s): %v, want %v", path, got, want)
		}
	}
	for _, name := range subprotocolNames(h.protocols) {
		if name == "" {
			t.Fatal("a path-chosen protocol was offered as a sub-protocol")
		}
	}
}
