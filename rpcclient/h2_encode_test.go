package rpcclient

import (
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/densecable/densecable/rpcclient/rpcpb"
)

func encodeSamples() []proto.Message {
	env := func() *rpcpb.Env {
		return &rpcpb.Env{
			Url:     "http://localhost:8080/cable?token=abc",
			Headers: map[string]string{"REMOTE_ADDR": "127.0.0.1", "HTTP_COOKIE": "a=b; c=d", "HTTP_X_EMPTY": ""},
			Cstate:  map[string]string{"user": `{"id":42}`, "": "empty key"},
			Istate:  map[string]string{"room": "7"},
		}
	}
	long := make([]byte, 300) // a length that takes a two-byte varint
	for i := range long {
		long[i] = 'x'
	}
	return []proto.Message{
		&rpcpb.ConnectionRequest{},
		&rpcpb.ConnectionRequest{Env: &rpcpb.Env{}},
		&rpcpb.ConnectionRequest{Env: env()},
		&rpcpb.ConnectionRequest{Env: &rpcpb.Env{Url: string(long), Headers: map[string]string{"h": string(long)}}},
		&rpcpb.CommandMessage{},
		&rpcpb.CommandMessage{Command: "subscribe", Identifier: `{"channel":"ChatChannel","room":"é"}`},
		&rpcpb.CommandMessage{Command: "message", Identifier: "i", ConnectionIdentifiers: `{"user":1}`, Data: `{"action":"speak"}`, Env: env()},
		&rpcpb.DisconnectRequest{},
		&rpcpb.DisconnectRequest{Identifiers: "x", Subscriptions: []string{"a", "", "b"}, Env: env()},
	}
}

// checkAppendRequest is the encoder's contract: it encodes exactly the
// messages proto.Marshal can, and its bytes decode to a message equal to req
// and to what proto.Marshal's bytes decode to.
func checkAppendRequest(t *testing.T, req proto.Message) {
	t.Helper()
	old, oldErr := proto.Marshal(req)
	b, ok := appendRequest([]byte{0xAA}, req)
	if oldErr != nil {
		if ok {
			t.Fatalf("encoded %v, which proto.Marshal rejects (%v)", req, oldErr)
		}
		return
	}
	if !ok {
		t.Fatalf("did not encode %v, which proto.Marshal accepts", req)
	}
	if b[0] != 0xAA {
		t.Fatalf("overwrote the buffer's prefix")
	}
	got := req.ProtoReflect().New().Interface()
	if err := proto.Unmarshal(b[1:], got); err != nil {
		t.Fatalf("unmarshal %x: %v", b[1:], err)
	}
	want := req.ProtoReflect().New().Interface()
	if err := proto.Unmarshal(old, want); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got, req) || !proto.Equal(got, want) {
		t.Fatalf("decoded %v, want %v", got, want)
	}
	if len(b)-1 != len(old) {
		t.Fatalf("length %d, proto.Marshal %d", len(b)-1, len(old))
	}
}

func TestAppendRequestMatchesMarshal(t *testing.T) {
	for _, m := range encodeSamples() {
		checkAppendRequest(t, m)
	}
}

func TestAppendRequestFallsBack(t *testing.T) {
	bad := "\xff\xfe"
	unknown := &rpcpb.CommandMessage{Command: "x"}
	unknown.ProtoReflect().SetUnknown(protowire.AppendTag(nil, 99, protowire.VarintType))
	unknown.ProtoReflect().SetUnknown(protowire.AppendVarint(unknown.ProtoReflect().GetUnknown(), 1))
	for _, m := range []proto.Message{
		&rpcpb.CommandMessage{Data: bad},
		&rpcpb.ConnectionRequest{Env: &rpcpb.Env{Headers: map[string]string{"k": bad}}},
		&rpcpb.ConnectionRequest{Env: &rpcpb.Env{Cstate: map[string]string{bad: "v"}}},
		&rpcpb.ConnectionRequest{Env: &rpcpb.Env{Url: bad}},
		&rpcpb.DisconnectRequest{Subscriptions: []string{"ok", bad}},
		unknown,
		&rpcpb.ConnectionResponse{}, // not a request type
	} {
		if _, ok := appendRequest(nil, m); ok {
			t.Errorf("encoded %v", m)
		}
	}
	// Unknown fields and other types are left to proto.Marshal, which
	// accepts them; what the encoder refuses for UTF-8, proto.Marshal does too.
	for _, m := range []proto.Message{&rpcpb.CommandMessage{Data: bad}, &rpcpb.DisconnectRequest{Subscriptions: []string{bad}}} {
		checkAppendRequest(t, m)
	}
}

// BenchmarkAppendRequest: "full" is a Connect with three maps, "subscribe"
// what a session sends to subscribe in the connect benchmark (URL and
// REMOTE_ADDR only).
func BenchmarkAppendRequest(b *testing.B) {
	buf := make([]byte, 0, 1024)
	for _, c := range []struct {
		name string
		req  proto.Message
	}{
		{"full", encodeSamples()[2]},
		{"subscribe", &rpcpb.CommandMessage{
			Command: "subscribe", Identifier: `{"channel":"BenchmarkChannel"}`, ConnectionIdentifiers: `{"user_id":"1"}`,
			Env: &rpcpb.Env{Url: "ws://localhost:8080/cable", Headers: map[string]string{"REMOTE_ADDR": "127.0.0.1"}},
		}},
	} {
		b.Run(c.name+"/protowire", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				buf, _ = appendRequest(buf[:0], c.req)
			}
		})
		b.Run(c.name+"/proto.Marshal", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				buf, _ = proto.MarshalOptions{}.MarshalAppend(buf[:0], c.req)
			}
		})
	}
}

// FuzzAppendRequest decodes arbitrary bytes into each request type (the
// decoder makes arbitrary field, map and repeated contents), adds a
// possibly invalid UTF-8 string in one of the places the encoder checks,
// and checks the encoder's contract on the result.
func FuzzAppendRequest(f *testing.F) {
	for _, m := range encodeSamples() {
		b, _ := proto.Marshal(m)
		f.Add(b, "", uint8(0))
		f.Add(b, "\xff", uint8(3))
	}
	f.Fuzz(func(t *testing.T, wire []byte, s string, where uint8) {
		opts := proto.UnmarshalOptions{DiscardUnknown: true}
		for _, m := range []proto.Message{&rpcpb.ConnectionRequest{}, &rpcpb.CommandMessage{}, &rpcpb.DisconnectRequest{}} {
			if opts.Unmarshal(wire, m) != nil {
				continue
			}
			checkAppendRequest(t, m)
			env := &rpcpb.Env{}
			switch m := m.(type) {
			case *rpcpb.ConnectionRequest:
				if m.Env != nil {
					env = m.Env
				}
				m.Env = env
			case *rpcpb.CommandMessage:
				if where%8 == 7 {
					m.Data = s
				}
				if m.Env != nil {
					env = m.Env
				}
				m.Env = env
			case *rpcpb.DisconnectRequest:
				if where%8 == 7 {
					m.Subscriptions = append(m.Subscriptions, s)
				}
				if m.Env != nil {
					env = m.Env
				}
				m.Env = env
			}
			switch where % 8 {
			case 0:
				env.Url = s
			case 1, 2:
				if env.Headers == nil {
					env.Headers = map[string]string{}
				}
				if where%8 == 1 {
					env.Headers["k"] = s
				} else {
					env.Headers[s] = "v"
				}
			case 3:
				if env.Cstate == nil {
					env.Cstate = map[string]string{}
				}
				env.Cstate["c"] = s
			case 4:
				if env.Istate == nil {
					env.Istate = map[string]string{}
				}
				env.Istate[s] = s
			}
			checkAppendRequest(t, m)
		}
	})
}
