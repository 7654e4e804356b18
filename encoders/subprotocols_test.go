package encoders

import "testing"

func TestForSubprotocol(t *testing.T) {
	cases := []struct {
		name     string
		id       string
		extended bool
	}{
		{"", "json", false},
		{"actioncable-v1-json", "json", false},
		{"actioncable-v1-ext-json", "json", true},
		{"actioncable-v1-msgpack", "msgpack", false},
		{"actioncable-v1-ext-msgpack", "msgpack", true},
		{"actioncable-v1-protobuf", "protobuf", false},
		{"actioncable-v1-ext-protobuf", "protobuf_ext", true},
	}
	for _, c := range cases {
		enc, ext, ok := ForSubprotocol(c.name)
		if !ok || enc.ID() != c.id || ext != c.extended {
			t.Errorf("%q: %v %v %v", c.name, enc, ext, ok)
		}
	}
	for _, name := range []string{"actioncable-unsupported", "anycable-token.x", "ACTIONCABLE-V1-JSON"} {
		if _, _, ok := ForSubprotocol(name); ok {
			t.Errorf("%q accepted", name)
		}
	}
	// Every advertised protocol resolves, and the preference order is the
	// reference's (JSON first, then ext JSON).
	for _, name := range Subprotocols {
		if _, _, ok := ForSubprotocol(name); !ok {
			t.Errorf("advertised %q does not resolve", name)
		}
	}
	if Subprotocols[0] != "actioncable-v1-json" || Subprotocols[1] != "actioncable-v1-ext-json" || len(Subprotocols) != 6 {
		t.Errorf("order %v", Subprotocols)
	}
	// Singletons: the same value for the same format.
	a, _, _ := ForSubprotocol("actioncable-v1-msgpack")
	b, _, _ := ForSubprotocol("actioncable-v1-ext-msgpack")
	if a != b {
		t.Error("msgpack encoders differ")
	}
}
