package server

import (
	"strings"
	"testing"

	"github.com/densecable/densecable/cmd/config"
	"github.com/densecable/densecable/sessions/actioncable"
)

// A protocol is chosen by its path endpoint first, then by the negotiated
// sub-protocol; without either a client speaks Action Cable JSON. A
// protocol's path (and everything below it) is a WebSocket endpoint besides
// --path; an endpoint without a default protocol requires a sub-protocol.
func TestProtocolChoice(t *testing.T) {
	byPath, _ := actioncable.For("actioncable-v1-ext-protobuf") // stands for Pusher at /app/KEY
	msgpack, _ := actioncable.For("actioncable-v1-msgpack")
	extJSON, _ := actioncable.For("actioncable-v1-ext-json") // stands for a sub-protocol-only endpoint
	protocols := append(wsProtocols(config.Default(), nil, nil),
		namedProtocol{path: "/app/key1", proto: byPath},
		namedProtocol{path: "/ocpp/", subprotocol: "ocpp1.6", proto: extJSON},
		namedProtocol{path: "/ocpp", subprotocol: "ocpp2.0.1", proto: msgpack},
	)
	h := newWSHandler([]string{"/cable"}, nil, "test", nil, protocols)
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
		{"/ocpp/CP-1", "ocpp1.6", extJSON},
		{"/ocpp/CP-1", "ocpp2.0.1", msgpack},
	} {
		if got := h.protocolFor(c.path, c.sub); got != c.want {
			t.Errorf("%s %q: %v, want %v", c.path, c.sub, got, c.want)
		}
	}
	for path, want := range map[string]bool{"/cable": true, "/app/key1": true, "/app/key2": false, "/ocpp/CP-1": true, "/ocppx": false, "/other": false} {
		if got := h.UpgradeOptions(path) != nil; got != want {
			t.Errorf("UpgradeOptions(%s): %v, want %v", path, got, want)
		}
	}
	if o := h.UpgradeOptions("/ocpp/CP-1"); !o.RequireProtocol || strings.Join(o.Protocols, ",") != "ocpp1.6,ocpp2.0.1" {
		t.Errorf("ocpp endpoint options: %+v", o)
	}
	if o := h.UpgradeOptions("/app/key1"); o.RequireProtocol || len(o.Protocols) != 0 {
		t.Errorf("pusher endpoint options: %+v", o)
	}
	for _, name := range h.opts.Protocols {
		if !strings.HasPrefix(name, "actioncable-") {
			t.Errorf("--path offers %q, a path endpoint's sub-protocol", name)
		}
	}
}
