package cableproto

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/densecable/densecable/encoders/acpb"
)

const ident = `{"channel":"BenchmarkChannel","id":"7"}`

// command is what a server decodes from a client command.
type command struct {
	Command    string `json:"command" msgpack:"command"`
	Identifier string `json:"identifier" msgpack:"identifier"`
	Data       string `json:"data" msgpack:"data"`
}

func benchData(t *testing.T) string {
	t.Helper()
	return string(AppendBenchData(nil, "broadcast", 1700000000123456789, `pad "x"`))
}

func TestBenchDataIsValidJSON(t *testing.T) {
	var v struct {
		Action  string `json:"action"`
		Payload struct {
			SendTime string `json:"sendTime"`
			Padding  string `json:"padding"`
		} `json:"payload"`
	}
	if err := json.Unmarshal([]byte(benchData(t)), &v); err != nil {
		t.Fatal(err)
	}
	if v.Action != "broadcast" || v.Payload.SendTime != "1700000000123456789" || v.Payload.Padding != `pad "x"` {
		t.Fatalf("decoded %+v", v)
	}
}

func TestCommandsDecodeWithIndependentLibraries(t *testing.T) {
	data := benchData(t)
	want := command{"message", ident, data}

	var j command
	if err := json.Unmarshal(JSON{}.AppendCommand(nil, "message", ident, data), &j); err != nil || j != want {
		t.Fatalf("json: %+v %v", j, err)
	}
	var m command
	if err := msgpack.Unmarshal(Msgpack{}.AppendCommand(nil, "message", ident, data), &m); err != nil || m != want {
		t.Fatalf("msgpack: %+v %v", m, err)
	}
	// A long identifier exercises str8/str16 headers.
	long := string(bytes.Repeat([]byte("i"), 300))
	var ml command
	if err := msgpack.Unmarshal(Msgpack{}.AppendCommand(nil, "subscribe", long, ""), &ml); err != nil || ml.Identifier != long || ml.Data != "" {
		t.Fatalf("msgpack long: %v", err)
	}
	var p acpb.Message
	if err := proto.Unmarshal(Protobuf{}.AppendCommand(nil, "message", ident, data), &p); err != nil {
		t.Fatal(err)
	}
	if p.Command != acpb.Command_message || p.Identifier != ident || p.Data != data {
		t.Fatalf("protobuf: %v", &p)
	}
	if err := proto.Unmarshal(Protobuf{}.AppendCommand(nil, "subscribe", ident, ""), &p); err != nil || p.Command != acpb.Command_subscribe {
		t.Fatalf("protobuf subscribe: %v %v", &p, err)
	}
}

// serverReplies encodes the same replies in each format with independent
// libraries, the way a server would send them.
func serverReplies(t *testing.T) map[string][][]byte {
	t.Helper()
	bench := map[string]any{"action": "broadcast", "payload": map[string]any{"sendTime": "1700000000123456789", "padding": "xx"}}
	objs := []map[string]any{
		{"type": "welcome", "sid": "abc"},
		{"type": "ping", "message": 1700000000},
		{"type": "confirm_subscription", "identifier": ident},
		{"type": "reject_subscription", "identifier": ident},
		{"type": "disconnect", "reason": "server_restart", "reconnect": true},
		{"identifier": ident, "message": bench},
		{"type": "confirm_history", "identifier": ident},
	}
	out := map[string][][]byte{}
	for _, o := range objs {
		j, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		out["json"] = append(out["json"], j)
		m, err := msgpack.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		out["msgpack"] = append(out["msgpack"], m)
		pm := &acpb.Message{Identifier: ident}
		switch o["type"] {
		case "welcome":
			pm.Type = acpb.Type_welcome
		case "ping":
			pm.Type = acpb.Type_ping
			pm.Message, _ = msgpack.Marshal(1700000000)
		case "confirm_subscription":
			pm.Type = acpb.Type_confirm_subscription
		case "reject_subscription":
			pm.Type = acpb.Type_reject_subscription
		case "disconnect":
			pm.Type, pm.Reason, pm.Reconnect = acpb.Type_disconnect, "server_restart", true
		case "confirm_history":
			pm.Type = acpb.Type_confirm_history
		default:
			pm.Message, _ = msgpack.Marshal(bench)
		}
		p, err := proto.Marshal(pm)
		if err != nil {
			t.Fatal(err)
		}
		out["protobuf"] = append(out["protobuf"], p)
	}
	return out
}

func TestParseRepliesFromIndependentEncoders(t *testing.T) {
	want := []Reply{
		{Kind: KindWelcome},
		{Kind: KindPing},
		{Kind: KindConfirm},
		{Kind: KindReject},
		{Kind: KindDisconnect},
		{Kind: KindMessage, Action: ActionBroadcast, SendTime: 1700000000123456789},
		{Kind: KindOther},
	}
	for name, msgs := range serverReplies(t) {
		c, err := ByName(name)
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range msgs {
			var r Reply
			if err := c.ParseReply(m, &r); err != nil {
				t.Fatalf("%s #%d: %v", name, i, err)
			}
			if r != want[i] {
				t.Errorf("%s #%d: got %+v, want %+v", name, i, r, want[i])
			}
		}
	}
}

func TestParseJSONVariants(t *testing.T) {
	cases := map[string]Reply{
		// numeric sendTime, whitespace, nested arrays, escaped identifier
		` { "identifier" : "{\"channel\":\"B\"}", "message" : {"x":[1,{"a":"]"}],"action":"echo","payload":{"sendTime":42}} } `: {Kind: KindMessage, Action: ActionEcho, SendTime: 42},
		`{"identifier":"x","message":"plain string"}`:                                           {Kind: KindMessage},
		`{"identifier":"x","message":{"action":"broadcastResult","payload":{"sendTime":"12"}}}`: {Kind: KindMessage, Action: ActionBroadcastResult, SendTime: 12},
		`{"identifier":"x","message":{"action":"speak","payload":{"sendTime":"-5"}}}`:           {Kind: KindMessage, Action: ActionOther},
		`{}`: {},
	}
	for in, want := range cases {
		var r Reply
		if err := (JSON{}).ParseReply([]byte(in), &r); err != nil || r != want {
			t.Errorf("%s: got %+v err %v, want %+v", in, r, err, want)
		}
	}
	for _, bad := range []string{``, `[]`, `{"a"}`, `{"a":1`, `{"a":"unterminated}`, `{"a":1 "b":2}`, `{"a":}`} {
		var r Reply
		if err := (JSON{}).ParseReply([]byte(bad), &r); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestMalformedBinaryRejected(t *testing.T) {
	for _, bad := range [][]byte{{}, {0x81}, {0x81, 0xa4, 't', 'y'}, {0xdf, 0xff, 0xff, 0xff, 0xff}, {0xc1}} {
		var r Reply
		if err := (Msgpack{}).ParseReply(bad, &r); err == nil {
			t.Errorf("msgpack %x accepted", bad)
		}
	}
	for _, bad := range [][]byte{{0x08}, {0x2a, 0x05, 'a'}, {0xff}} {
		var r Reply
		if err := (Protobuf{}).ParseReply(bad, &r); err == nil {
			t.Errorf("protobuf %x accepted", bad)
		}
	}
}

func TestParseDoesNotAllocate(t *testing.T) {
	for name, msgs := range serverReplies(t) {
		c, _ := ByName(name)
		m := msgs[5]
		var r Reply
		if n := testing.AllocsPerRun(100, func() { _ = c.ParseReply(m, &r) }); n != 0 {
			t.Errorf("%s: %v allocs per parse", name, n)
		}
	}
}

func TestByNameUnknown(t *testing.T) {
	if _, err := ByName("xml"); err == nil {
		t.Fatal("unknown encoding accepted")
	}
}

func fuzzSeeds(f *testing.F, name string) {
	f.Helper()
	var t testing.T
	for _, m := range serverReplies(&t)[name] {
		f.Add(m)
	}
}

// The scanner accepts every JSON object encoding/json accepts and reads the
// same reply from it (when nothing is escaped: it compares raw bytes).
func FuzzParseJSON(f *testing.F) {
	fuzzSeeds(f, "json")
	f.Add([]byte(`{"type":"ping","type":"welcome","message":{"action":"echo","payload":{"sendTime":12}}}`))
	f.Add([]byte(`{"message":{"payload":{"sendTime":"9223372036854775808"}},"x":[{"}":"{"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Reply
		err := JSON{}.ParseReply(b, &r)
		want, ok := refJSONReply(b)
		if !ok {
			return // the scanner checks structure only as far as it needs
		}
		if err != nil {
			t.Fatalf("%q: valid JSON object rejected: %v", b, err)
		}
		if bytes.IndexByte(b, '\\') >= 0 {
			return
		}
		if e := sameReply(r, want); e != nil {
			t.Fatalf("%q: %v", b, e)
		}
	})
}

// The scanner and vmihailenco/msgpack agree on what is malformed and on
// the reply read from the rest.
func FuzzParseMsgpack(f *testing.F) {
	fuzzSeeds(f, "msgpack")
	for _, v := range []any{
		map[string]any{"message": map[string]any{"action": "echo", "payload": map[string]any{"sendTime": int32(-1)}}},
		map[string]any{"message": map[string]any{"payload": map[string]any{"sendTime": uint16(300)}}},
		map[string]any{"message": map[string]any{"payload": map[string]any{"sendTime": float64(1 << 63)}}},
	} {
		b, _ := msgpack.Marshal(v)
		f.Add(b)
	}
	// {1: "x", "type": "ping", bin("type"): "welcome"}: only str keys count.
	f.Add(append([]byte{0x83, 0x01, 0xa1, 'x', 0xa4, 't', 'y', 'p', 'e', 0xa4, 'p', 'i', 'n', 'g', 0xc4, 4, 't', 'y', 'p', 'e', 0xa7}, "welcome"...))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Reply
		err := Msgpack{}.ParseReply(b, &r)
		want, refErr := refMsgpackReply(b)
		if (err == nil) != (refErr == nil) {
			t.Fatalf("% x: error %v, reference error %v", b, err, refErr)
		}
		if err == nil {
			if e := sameReply(r, want); e != nil {
				t.Fatalf("% x: %v", b, e)
			}
		}
	})
}

// What proto.Unmarshal accepts, the scanner accepts and reads the same
// reply from (the msgpack payload checked as in FuzzParseMsgpack).
func FuzzParseProtobuf(f *testing.F) {
	fuzzSeeds(f, "protobuf")
	big, _ := proto.Marshal(&acpb.Message{Type: acpb.Type(-2147483647)})
	f.Add(big)
	f.Add(protowire.AppendVarint([]byte{0x08}, 1<<32|1)) // type 1 (welcome) once truncated to int32
	f.Add([]byte{0x2a, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Reply
		err := Protobuf{}.ParseReply(b, &r)
		want, ok, refErr := refProtobufReply(b)
		if !ok {
			return // proto.Unmarshal also checks UTF-8 in fields the scanner skips
		}
		if (err == nil) != (refErr == nil) {
			t.Fatalf("% x: error %v, reference error %v", b, err, refErr)
		}
		if err == nil {
			if e := sameReply(r, want); e != nil {
				t.Fatalf("% x: %v", b, e)
			}
		}
	})
}

func TestPusherCodec(t *testing.T) {
	c, err := ByName("pusher")
	if err != nil {
		t.Fatal(err)
	}
	if got := string(c.AppendCommand(nil, "subscribe", "bench", "")); got != `{"event":"pusher:subscribe","data":{"channel":"bench"}}` {
		t.Fatalf("subscribe: %s", got)
	}
	for in, want := range map[string]Reply{
		`{"event":"pusher:connection_established","data":"{\"socket_id\":\"1.2\",\"activity_timeout\":30}"}`: {Kind: KindWelcome},
		`{"event":"pusher_internal:subscription_succeeded","channel":"bench","data":"{}"}`:                   {Kind: KindConfirm},
		`{"event":"pusher:ping","data":{}}`:                                                         {Kind: KindPing},
		`{"event":"pusher:error","data":{"code":4301,"message":"x"}}`:                               {Kind: KindDisconnect},
		`{"event":"pusher_internal:member_added","channel":"c","data":"{}"}`:                        {Kind: KindOther},
		`{"event":"bench","channel":"c","data":{"action":"broadcast","payload":{"sendTime":"12"}}}`: {Kind: KindMessage, Action: ActionBroadcast, SendTime: 12},
		`{"event":"bench","channel":"c","data":"text"}`:                                             {Kind: KindMessage},
	} {
		var r Reply
		if err := c.ParseReply([]byte(in), &r); err != nil || r != want {
			t.Errorf("%s: %+v (%v), want %+v", in, r, err, want)
		}
	}
}
