package encoders

import (
	"bytes"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/densecable/densecable/encoders/acpb"
)

func mustProtoType(t *testing.T, typ string) acpb.Type {
	t.Helper()
	n, ok := protoTypeNumber(typ)
	if !ok {
		t.Fatalf("no number for %q", typ)
	}
	return acpb.Type(n)
}

// The output is byte-identical to proto.Marshal of the same acpb message, and
// the message bytes hold the msgpack form of the JSON payload.
func TestProtobufAppendReplyMatchesProtoMarshal(t *testing.T) {
	for _, r := range replySamples() {
		var mp []byte
		if len(r.Message) > 0 {
			var err error
			if mp, err = appendMsgpackFromJSON(nil, string(r.Message)); err != nil {
				t.Fatal(err)
			}
			if err := mpEqualsJSON(mp, string(r.Message)); err != nil {
				t.Fatal(err)
			}
		}
		v1 := &acpb.Message{Type: mustProtoType(t, r.Type), Identifier: r.Identifier, Message: mp, Reason: r.Reason, Reconnect: r.Reconnect}
		ext := &acpb.Reply{Type: mustProtoType(t, r.Type), Identifier: r.Identifier, Message: mp, Reason: r.Reason, Reconnect: r.Reconnect,
			StreamId: r.StreamID, Epoch: r.Epoch, Offset: int64(r.Offset), Sid: r.Sid, Restored: r.Restored, RestoredIds: r.RestoredIDs}
		for _, c := range []struct {
			enc  Encoder
			want proto.Message
		}{{NewProtobuf(), v1}, {NewProtobufExt(), ext}} {
			want, err := proto.MarshalOptions{Deterministic: true}.Marshal(c.want)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.enc.AppendReply([]byte("pre"), &r)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got[3:], want) || string(got[:3]) != "pre" {
				t.Errorf("%s %+.60v:\n got % x\nwant % x", c.enc.ID(), r, got[3:min(len(got), 40)], want[:min(len(want), 37)])
			}
		}
	}
}

func TestProtobufControlMessages(t *testing.T) {
	for _, enc := range []Encoder{NewProtobuf(), NewProtobufExt()} {
		b, _ := enc.AppendDisconnect(nil, "server_restart", true)
		var rep acpb.Reply
		var msg acpb.Message
		if enc.ID() == "protobuf_ext" {
			if err := proto.Unmarshal(b, &rep); err != nil || rep.Type != acpb.Type_disconnect || rep.Reason != "server_restart" || !rep.Reconnect {
				t.Errorf("ext disconnect %v %v", &rep, err)
			}
		} else if err := proto.Unmarshal(b, &msg); err != nil || msg.Type != acpb.Type_disconnect || msg.Reason != "server_restart" || !msg.Reconnect {
			t.Errorf("v1 disconnect %v %v", &msg, err)
		}

		b, _ = enc.AppendPing(nil, 1700000000)
		var payload []byte
		if enc.ID() == "protobuf_ext" {
			rep.Reset()
			if err := proto.Unmarshal(b, &rep); err != nil || rep.Type != acpb.Type_ping {
				t.Fatalf("ext ping %v %v", &rep, err)
			}
			payload = rep.Message
		} else {
			msg.Reset()
			if err := proto.Unmarshal(b, &msg); err != nil || msg.Type != acpb.Type_ping {
				t.Fatalf("v1 ping %v %v", &msg, err)
			}
			payload = msg.Message
		}
		var ts int64
		if err := msgpack.Unmarshal(payload, &ts); err != nil || ts != 1700000000 {
			t.Errorf("ping payload %d %v", ts, err)
		}
		if enc.FrameType() != BinaryFrame {
			t.Error("protobuf frames must be binary")
		}
	}
	if NewProtobuf().ID() != "protobuf" || NewProtobufExt().ID() != "protobuf_ext" {
		t.Error("IDs")
	}
	if _, err := NewProtobuf().AppendReply(nil, &Reply{Type: "no_such_type"}); err == nil {
		t.Error("unknown reply type accepted")
	}
}

func TestProtobufTransmission(t *testing.T) {
	tr := `{"type":"welcome","sid":"s\u0031","restored":true,"restored_ids":["a","b"],"custom":{"x":[1]},"message":{"a":[1,"x"]}}`
	b, err := NewProtobufExt().AppendTransmission(nil, tr)
	if err != nil {
		t.Fatal(err)
	}
	var rep acpb.Reply
	if err := proto.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Type != acpb.Type_welcome || rep.Sid != "s1" || !rep.Restored || strings.Join(rep.RestoredIds, ",") != "a,b" {
		t.Errorf("reply %v", &rep)
	}
	if err := mpEqualsJSON(rep.Message, `{"a":[1,"x"]}`); err != nil {
		t.Error(err)
	}

	b, err = NewProtobuf().AppendTransmission(nil, `{"type":"disconnect","reason":"unauthorized","reconnect":false}`)
	if err != nil {
		t.Fatal(err)
	}
	var msg acpb.Message
	if err := proto.Unmarshal(b, &msg); err != nil || msg.Type != acpb.Type_disconnect || msg.Reason != "unauthorized" || msg.Reconnect {
		t.Errorf("message %v %v", &msg, err)
	}

	// A type without a number goes out as no_type with the rest intact.
	b, err = NewProtobufExt().AppendTransmission(nil, `{"type":"custom","identifier":"i","offset":5}`)
	if err != nil {
		t.Fatal(err)
	}
	rep.Reset()
	if err := proto.Unmarshal(b, &rep); err != nil || rep.Type != acpb.Type_no_type || rep.Identifier != "i" || rep.Offset != 5 {
		t.Errorf("reply %v %v", &rep, err)
	}

	for _, bad := range []string{`[]`, `{"type":1}`, `{"reconnect":"yes"}`, `{"offset":-1}`, `{"restored_ids":[1]}`, `{"message":}`, `{"a":1} x`} {
		if _, err := NewProtobuf().AppendTransmission(nil, bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestProtobufDecode(t *testing.T) {
	enc := NewProtobuf()
	var m Message
	in, _ := proto.Marshal(&acpb.Message{Command: acpb.Command_message, Identifier: `{"channel":"C"}`, Data: `{"action":"speak"}`})
	if err := enc.Decode(in, &m); err != nil {
		t.Fatal(err)
	}
	if m.Command != "message" || m.Identifier != `{"channel":"C"}` || !m.DataIsString || m.Data != `{"action":"speak"}` || m.RawData != nil {
		t.Errorf("decoded %+v", m)
	}

	in, _ = proto.Marshal(&acpb.Message{Command: acpb.Command_history, Identifier: "x", History: &acpb.HistoryRequest{
		Since: 1700000000, Streams: map[string]*acpb.StreamHistoryRequest{"s": {Epoch: "e", Offset: 7}, "t": nil}}})
	if err := NewProtobufExt().Decode(in, &m); err != nil {
		t.Fatal(err)
	}
	if m.Command != "history" || m.History == nil || m.History.Since != 1700000000 || len(m.History.Streams) != 2 ||
		m.History.Streams["s"] != (StreamPosition{"e", 7}) || m.History.Streams["t"] != (StreamPosition{}) {
		t.Errorf("history %+v", m.History)
	}

	whisper, _ := msgpack.Marshal(map[string]any{"event": "typing"})
	in, _ = proto.Marshal(&acpb.Message{Command: protoCommandWhisper, Identifier: "x", Message: whisper})
	if err := enc.Decode(in, &m); err != nil {
		t.Fatal(err)
	}
	if m.Command != "whisper" || m.DataIsString || string(m.RawData) != `{"event":"typing"}` {
		t.Errorf("whisper %+v", m)
	}

	join, _ := msgpack.Marshal(map[string]any{"id": "u1", "info": map[string]any{"name": "J"}})
	in, _ = proto.Marshal(&acpb.Message{Command: protoCommandJoin, Identifier: "x", Message: join})
	if err := enc.Decode(in, &m); err != nil {
		t.Fatal(err)
	}
	if m.Command != "join" || m.Presence == nil || m.Presence.ID != "u1" || string(m.Presence.Info) != `{"name":"J"}` || m.RawData != nil {
		t.Errorf("join %+v", m)
	}

	for num, name := range protoCommandNames {
		in, _ = proto.Marshal(&acpb.Message{Command: acpb.Command(num)})
		if err := enc.Decode(in, &m); err != nil || m.Command != name {
			t.Errorf("command %d: %q %v", num, m.Command, err)
		}
	}
}

func TestProtobufDecodeErrors(t *testing.T) {
	good, _ := proto.Marshal(&acpb.Message{Command: acpb.Command_subscribe, Identifier: "abc"})
	tag := func(num protowire.Number, typ protowire.Type) []byte { return protowire.AppendTag(nil, num, typ) }
	negOffset, _ := proto.Marshal(&acpb.Message{History: &acpb.HistoryRequest{Streams: map[string]*acpb.StreamHistoryRequest{"s": {Offset: -1}}}})
	badMsgpack, _ := proto.Marshal(&acpb.Message{Command: protoCommandWhisper, Message: []byte{0xc1}})
	bad := map[string][]byte{
		"truncated":          good[:len(good)-1],
		"unknown command":    protowire.AppendVarint(tag(pbMsgCommand, protowire.VarintType), protoCommandMax+1),
		"unknown type":       protowire.AppendVarint(tag(pbMsgType, protowire.VarintType), protoTypeMax+1),
		"wrong wire type":    protowire.AppendVarint(tag(pbMsgIdentifier, protowire.VarintType), 1),
		"forged length":      protowire.AppendVarint(tag(pbMsgData, protowire.BytesType), 1<<40),
		"forged unknown len": protowire.AppendVarint(tag(99, protowire.BytesType), 1<<40),
		"invalid utf8":       protowire.AppendString(tag(pbMsgIdentifier, protowire.BytesType), "a\xff"),
		"field zero":         {0x00, 0x01},
		"bad varint":         append(tag(pbMsgCommand, protowire.VarintType), bytes.Repeat([]byte{0xff}, 11)...),
		"negative offset":    negOffset,
		"bad msgpack":        badMsgpack,
	}
	var m Message
	for name, in := range bad {
		if err := NewProtobuf().Decode(in, &m); err == nil {
			t.Errorf("%s: no error for % x", name, in)
		}
	}
	// Unknown fields are skipped, as proto.Unmarshal does.
	in := append(protowire.AppendString(tag(42, protowire.BytesType), "zzz"), good...)
	if err := NewProtobuf().Decode(in, &m); err != nil || m.Identifier != "abc" {
		t.Errorf("unknown field: %+v %v", m, err)
	}
}

// A message payload of 128+ bytes needs a multi-byte length prefix.
func TestProtobufLongPayloadLength(t *testing.T) {
	for _, n := range []int{100, 125, 126, 127, 200, 16380, 16400, 3 << 20} {
		payload := `"` + strings.Repeat("x", n) + `"`
		b, err := NewProtobufExt().AppendReply(nil, &Reply{Identifier: "i", Message: []byte(payload)})
		if err != nil {
			t.Fatal(err)
		}
		var rep acpb.Reply
		if err := proto.Unmarshal(b, &rep); err != nil {
			t.Fatalf("%d: %v", n, err)
		}
		var s string
		if err := msgpack.Unmarshal(rep.Message, &s); err != nil || len(s) != n || rep.Identifier != "i" {
			t.Errorf("%d: got %d bytes, %v", n, len(s), err)
		}
	}
}

// Commands that never take a non-string payload ignore Message.message.
func TestProtobufPayloadIgnoredForOtherCommands(t *testing.T) {
	in, _ := proto.Marshal(&acpb.Message{Command: acpb.Command_message, Identifier: "x", Data: "d", Message: []byte{0xc1}})
	var m Message
	if err := NewProtobuf().Decode(in, &m); err != nil || m.RawData != nil || m.Data != "d" {
		t.Errorf("%+v %v", m, err)
	}
}
