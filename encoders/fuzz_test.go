package encoders

import (
	"bytes"
	"encoding/json"
	"maps"
	"reflect"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/densecable/densecable/encoders/acpb"
)

// Fuzz targets. Run one with, for example:
//
//	go test -run '^$' -fuzz '^FuzzJSONDecode$' -fuzztime 30s ./encoders/

func jsonCommandSeeds() []string {
	return []string{
		`{"command":"subscribe","identifier":"{\"channel\":\"ChatChannel\",\"id\":1}"}`,
		`{"command":"message","identifier":"{\"channel\":\"test_channel\",\"channelId\":\"23\"}","data":"hello world"}`,
		`{"command":"whisper","identifier":"x","data":{"event":"typing","user":[1,2.5,null,true]}}`,
		`{"command":"history","identifier":"x","history":{"since":1700000000,"streams":{"s":{"epoch":"e","offset":3}}}}`,
		`{"command":"join","identifier":"x","presence":{"id":"u1","info":{"name":"Jack"}}}`,
		`{"command":"presence","identifier":"x","data":{"return_records":true}}`,
		`{"command":"pong"}`, `{"command":"ping"}`, `null`, `{}`, ` { "COMMAND" : "leave" } `,
		`{"history":{"since":1},"history":{"streams":{"a":null}},"data":"x","data":null}`,
		`{"identifier":"\ud83d\ude00\u00e9\u003c\ufffd","data":"\ud800"}`, "{\"data\":\"\xff\"}",
		`{"presence":{"info":null,"id":"x"},"presence":{"info":"s"}}`, `{"history":{"streams":{"s":{"offset":18446744073709551615}}}}`,
		`{"data":1e400}`, `{"data":[` + strings.Repeat(`{"a":`, 20) + `1` + strings.Repeat(`}`, 20) + `]}`,
	}
}

func FuzzJSONDecode(f *testing.F) {
	for _, s := range jsonCommandSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if err := checkJSONDecodeAgainstRef(in); err != nil {
			t.Fatal(err)
		}
		var m Message
		if NewJSON().Decode(in, &m) != nil {
			return
		}
		// Encoding the decoded command again and decoding that gives the
		// same command.
		again := encodeCommandJSON(t, &m)
		var m2 Message
		if err := NewJSON().Decode(again, &m2); err != nil {
			t.Fatalf("re-encoded %s: %v", again, err)
		}
		if err := sameMessage(&m, &m2); err != nil {
			t.Fatalf("%s -> %s: %v", in, again, err)
		}
	})
}

func FuzzMsgpackDecode(f *testing.F) {
	for _, s := range jsonCommandSeeds() {
		var m Message
		if NewJSON().Decode([]byte(s), &m) == nil {
			f.Add(encodeCommandMsgpack(f, &m))
		}
	}
	f.Add([]byte{0xdf, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0x81, 0xa4, 'd', 'a', 't', 'a', 0xdd, 0x7f, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, in []byte) {
		var m Message
		if NewMsgpack().Decode(in, &m) != nil {
			return
		}
		if err := checkMsgpackAgainstRef(in, &m); err != nil {
			t.Fatal(err)
		}
		again := encodeCommandMsgpack(t, &m)
		var m2 Message
		if err := NewMsgpack().Decode(again, &m2); err != nil {
			t.Fatalf("re-encoded % x: %v", again, err)
		}
		if err := sameMessage(&m, &m2); err != nil {
			t.Fatalf("% x: %v", in, err)
		}
	})
}

func FuzzProtobufDecode(f *testing.F) {
	whisper, _ := msgpack.Marshal(map[string]any{"event": "typing", "n": []any{1, 2.5}})
	join, _ := msgpack.Marshal(map[string]any{"id": "u1", "info": "x"})
	for _, s := range []*acpb.Message{
		{Command: acpb.Command_subscribe, Identifier: `{"channel":"C"}`},
		{Command: acpb.Command_message, Identifier: "x", Data: `{"action":"speak"}`},
		{Command: acpb.Command_history, Identifier: "x", History: &acpb.HistoryRequest{Since: 5,
			Streams: map[string]*acpb.StreamHistoryRequest{"s": {Epoch: "e", Offset: 3}, "t": nil}}},
		{Command: protoCommandWhisper, Identifier: "x", Message: whisper},
		{Command: protoCommandJoin, Identifier: "x", Message: join},
		{Type: acpb.Type_ping, Reason: "r", Reconnect: true},
	} {
		b, _ := proto.Marshal(s)
		f.Add(b)
	}
	f.Add([]byte{0x22, 0x80, 0x80, 0x80, 0x80, 0x10})
	f.Fuzz(func(t *testing.T, in []byte) {
		var m Message
		err := NewProtobuf().Decode(in, &m)
		var ref acpb.Message
		refErr := proto.Unmarshal(in, &ref)
		if err != nil {
			return // stricter than proto.Unmarshal is allowed
		}
		if refErr != nil {
			t.Fatalf("accepted % x, proto.Unmarshal: %v", in, refErr)
		}
		if m.Command != protoCommandNames[ref.Command] || m.Identifier != ref.Identifier || m.Data != ref.Data ||
			(!m.DataIsString && ref.Data != "") {
			t.Fatalf("decoded %+v, proto %v", m, &ref)
		}
		if (m.History == nil) != (ref.History == nil) {
			t.Fatalf("history %+v, proto %v", m.History, ref.History)
		}
		if h := ref.History; h != nil {
			if m.History.Since != h.Since || len(m.History.Streams) != len(h.Streams) {
				t.Fatalf("history %+v, proto %v", m.History, h)
			}
			for k, v := range h.Streams {
				if m.History.Streams[k] != (StreamPosition{Epoch: v.GetEpoch(), Offset: uint64(v.GetOffset())}) {
					t.Fatalf("stream %q: %+v, proto %v", k, m.History.Streams[k], v)
				}
			}
		}
		again := encodeCommandProtobuf(t, &m)
		var m2 Message
		if err := NewProtobuf().Decode(again, &m2); err != nil {
			t.Fatalf("re-encoded % x: %v", again, err)
		}
		if err := sameMessage(&m, &m2); err != nil {
			t.Fatalf("% x: %v", in, err)
		}
	})
}

func FuzzBroadcastPayload(f *testing.F) {
	for _, s := range broadcastSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		got := BroadcastPayload(data)
		if want := refBroadcastPayload(data); !bytes.Equal(got, want) {
			t.Fatalf("%.200q:\n got %.200s\nwant %.200s", data, got, want)
		}
		// The payload must convert to an equal msgpack value for the binary
		// formats, and fit into a JSON reply.
		mp, err := appendMsgpackFromJSON(nil, string(got))
		if err != nil {
			t.Fatalf("msgpack of %.200s: %v", got, err)
		}
		if err := mpEqualsJSON(mp, string(got)); err != nil {
			t.Fatalf("%.200s: %v", got, err)
		}
		reply, _ := NewJSON().AppendReply(nil, &Reply{Identifier: "i", Message: got})
		if string(reply) != `{"identifier":"i","message":`+string(got)+`}` || !json.Valid(got) {
			t.Fatalf("reply %.200s is not JSON", reply)
		}
	})
}

// sameMessage compares decoded commands (RawData and Info as JSON values).
func sameMessage(a, b *Message) error {
	ra, rb := *a, *b
	ra.RawData, rb.RawData, ra.Presence, rb.Presence = nil, nil, nil, nil
	if ra.History != nil && rb.History != nil && reflect.DeepEqual(*ra.History, *rb.History) {
		ra.History, rb.History = nil, nil
	}
	if !reflect.DeepEqual(ra, rb) {
		return &mismatch{ra, rb}
	}
	if err := sameRaw(a.RawData, b.RawData); err != nil {
		return err
	}
	if (a.Presence == nil) != (b.Presence == nil) {
		return &mismatch{a.Presence, b.Presence}
	}
	if a.Presence != nil {
		if a.Presence.ID != b.Presence.ID {
			return &mismatch{a.Presence, b.Presence}
		}
		return sameRaw(a.Presence.Info, b.Presence.Info)
	}
	return nil
}

func sameRaw(a, b []byte) error {
	if (a == nil) != (b == nil) {
		return &mismatch{string(a), string(b)}
	}
	if a == nil {
		return nil
	}
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil || !reflect.DeepEqual(va, vb) {
		return &mismatch{string(a), string(b)}
	}
	return nil
}

// commandFields turns a Message into the fields a client would send, with
// RawData and Info as decoded JSON values. UseNumber keeps numbers exact.
func commandFields(t testing.TB, m *Message) map[string]any {
	t.Helper()
	raw := func(b []byte) any {
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			t.Fatalf("%q: %v", b, err)
		}
		return v
	}
	out := map[string]any{}
	if m.Command != "" {
		out["command"] = m.Command
	}
	if m.Identifier != "" {
		out["identifier"] = m.Identifier
	}
	if m.DataIsString {
		out["data"] = m.Data
	} else if m.RawData != nil {
		out["data"] = raw(m.RawData)
	}
	if h := m.History; h != nil {
		hist := map[string]any{"since": h.Since}
		if h.Streams != nil {
			streams := map[string]any{}
			for k, v := range h.Streams {
				streams[k] = map[string]any{"epoch": v.Epoch, "offset": v.Offset}
			}
			hist["streams"] = streams
		}
		out["history"] = hist
	}
	if p := m.Presence; p != nil {
		pres := map[string]any{"id": p.ID}
		if p.Info != nil {
			pres["info"] = raw(p.Info)
		}
		out["presence"] = pres
	}
	return out
}

func encodeCommandJSON(t testing.TB, m *Message) []byte {
	b, err := json.Marshal(commandFields(t, m))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func encodeCommandMsgpack(t testing.TB, m *Message) []byte {
	fields := commandFields(t, m)
	var convert func(v any) any
	convert = func(v any) any {
		switch x := v.(type) {
		case json.Number:
			if i, err := x.Int64(); err == nil {
				return i
			}
			f, _ := x.Float64()
			return f
		case map[string]any:
			out := maps.Clone(x)
			for k, e := range out {
				out[k] = convert(e)
			}
			return out
		case []any:
			out := make([]any, len(x))
			for i, e := range x {
				out[i] = convert(e)
			}
			return out
		}
		return v
	}
	b, err := msgpack.Marshal(convert(fields))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func encodeCommandProtobuf(t testing.TB, m *Message) []byte {
	cmd := -1
	for n, name := range protoCommandNames {
		if name == m.Command {
			cmd = n
		}
	}
	if cmd < 0 {
		t.Fatalf("command %q has no number", m.Command)
	}
	pm := &acpb.Message{Command: acpb.Command(cmd), Identifier: m.Identifier, Data: m.Data}
	if h := m.History; h != nil {
		pm.History = &acpb.HistoryRequest{Since: h.Since}
		if h.Streams != nil {
			pm.History.Streams = map[string]*acpb.StreamHistoryRequest{}
			for k, v := range h.Streams {
				pm.History.Streams[k] = &acpb.StreamHistoryRequest{Epoch: v.Epoch, Offset: int64(v.Offset)}
			}
		}
	}
	var payload any
	switch {
	case m.Presence != nil:
		payload = commandFields(t, m)["presence"]
	case m.RawData != nil:
		payload = commandFields(t, m)["data"]
	}
	if payload != nil {
		pm.Message = mpFromJSONNumbers(t, payload)
	}
	b, err := proto.Marshal(pm)
	if err != nil {
		t.Fatal(err)
	}
	if m.DataIsString && m.Data == "" {
		// proto.Marshal leaves out empty strings; a client may still send one.
		b = protowire.AppendString(protowire.AppendTag(b, pbMsgData, protowire.BytesType), "")
	}
	return b
}

// mpFromJSONNumbers encodes a decoded JSON value (json.Number numbers) as
// msgpack through the package's own JSON transcoder.
func mpFromJSONNumbers(t testing.TB, v any) []byte {
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	b, err := appendMsgpackFromJSON(nil, string(j))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzTransmission feeds RPC transmissions (JSON text from the application)
// to every encoder.
func FuzzTransmission(f *testing.F) {
	for _, s := range []string{
		`{"type":"welcome"}`, `{"type":"disconnect","reason":"unauthorized","reconnect":false}`,
		`{"identifier":"{\"channel\":\"C\"}","message":{"text":"hi","n":[1,2.5e3,-7]}}`,
		`{"type":"welcome","sid":"s","restored":true,"restored_ids":["a"],"offset":5,"stream_id":"x","epoch":"e"}`,
		`{"type":"custom","extra":{"z":null}}`, `[]`, `{"message":}`, `{"offset":1e30}`, `{"type":"\u0070ing"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		valid := json.Valid([]byte(msg))
		mp, err := NewMsgpack().AppendTransmission(nil, msg)
		if valid != (err == nil) {
			t.Fatalf("%q: valid JSON %v, msgpack error %v", msg, valid, err)
		}
		var ref any
		// Numbers beyond float64 have no reference value to compare with.
		if err == nil && json.Unmarshal([]byte(msg), &ref) == nil {
			if e := mpEqualsJSON(mp, msg); e != nil {
				t.Fatalf("%q: %v", msg, e)
			}
		}
		for _, enc := range []Encoder{NewProtobuf(), NewProtobufExt()} {
			b, err := enc.AppendTransmission(nil, msg)
			if err != nil {
				continue
			}
			if !valid {
				t.Fatalf("%q: invalid JSON accepted by %s", msg, enc.ID())
			}
			var rep acpb.Reply
			var m acpb.Message
			if enc.ID() == "protobuf_ext" {
				err = proto.Unmarshal(b, &rep)
			} else {
				err = proto.Unmarshal(b, &m)
			}
			if err != nil {
				t.Fatalf("%q: %s frame does not parse: %v", msg, enc.ID(), err)
			}
		}
	})
}
