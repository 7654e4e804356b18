package encoders

import (
	"strings"
	"testing"

	"github.com/densecable/densecable/encoders/jsonkit"
)

// Golden bytes from WIRE-FACTS §3 and §9.
func TestJSONReplyGolden(t *testing.T) {
	enc := NewJSON()
	cases := []struct {
		name string
		r    Reply
		want string
	}{
		{"welcome", Reply{Type: "welcome", Sid: "my-req-1"}, `{"type":"welcome","sid":"my-req-1"}`},
		{"restored welcome", Reply{Type: "welcome", Sid: "s2", Restored: true, RestoredIDs: []string{"a", `{"channel":"X"}`}},
			`{"type":"welcome","sid":"s2","restored":true,"restored_ids":["a","{\"channel\":\"X\"}"]}`},
		{"confirm", Reply{Type: "confirm_subscription", Identifier: `{"channel":"ChatChannel"}`},
			`{"type":"confirm_subscription","identifier":"{\"channel\":\"ChatChannel\"}"}`},
		{"reject", Reply{Type: "reject_subscription", Identifier: "x"}, `{"type":"reject_subscription","identifier":"x"}`},
		{"confirm history", Reply{Type: "confirm_history", Identifier: "x"}, `{"type":"confirm_history","identifier":"x"}`},
		{"pong", Reply{Type: "pong"}, `{"type":"pong"}`},
		{"broadcast", Reply{Identifier: "x", Message: []byte(`{"a":1}`)}, `{"identifier":"x","message":{"a":1}}`},
		{"broadcast with position", Reply{Identifier: "...", Message: []byte(`{"a":1}`), StreamID: "s", Epoch: "e", Offset: 3},
			`{"identifier":"...","message":{"a":1},"stream_id":"s","epoch":"e","offset":3}`},
		{"presence", Reply{Type: "presence", Identifier: "x", Message: []byte(`{"id":"u1","type":"leave"}`)},
			`{"type":"presence","identifier":"x","message":{"id":"u1","type":"leave"}}`},
		{"disconnect via reply omits false", Reply{Type: "disconnect", Reason: "r"}, `{"type":"disconnect","reason":"r"}`},
		{"all fields", Reply{Type: "t", Identifier: "i", Message: []byte(`"m"`), Reason: "r", Reconnect: true, StreamID: "s",
			Epoch: "e", Offset: 18446744073709551615, Sid: "d", Restored: true, RestoredIDs: []string{"x"}},
			`{"type":"t","identifier":"i","message":"m","reason":"r","reconnect":true,"stream_id":"s","epoch":"e","offset":18446744073709551615,"sid":"d","restored":true,"restored_ids":["x"]}`},
		{"empty", Reply{}, `{}`},
		{"html escaping", Reply{Identifier: "<a&b>\u2028\xff"}, `{"identifier":"\u003ca\u0026b\u003e\u2028\ufffd"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := enc.AppendReply([]byte("prefix"), &tc.r)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != "prefix"+tc.want {
				t.Errorf("got  %s\nwant prefix%s", got, tc.want)
			}
		})
	}
}

func TestJSONControlMessagesGolden(t *testing.T) {
	enc := NewJSON()
	got, _ := enc.AppendDisconnect(nil, "server_restart", true)
	if want := `{"type":"disconnect","reason":"server_restart","reconnect":true}`; string(got) != want {
		t.Errorf("disconnect: got %s want %s", got, want)
	}
	got, _ = enc.AppendDisconnect(nil, "unauthorized", false)
	if want := `{"type":"disconnect","reason":"unauthorized","reconnect":false}`; string(got) != want {
		t.Errorf("disconnect: got %s want %s", got, want)
	}
	got, _ = enc.AppendPing(nil, 1700000000)
	if want := `{"type":"ping","message":1700000000}`; string(got) != want {
		t.Errorf("ping: got %s want %s", got, want)
	}
	got, _ = enc.AppendPing(nil, -5)
	if want := `{"type":"ping","message":-5}`; string(got) != want {
		t.Errorf("ping: got %s want %s", got, want)
	}
	tr := `{"type":"welcome" , "x":"<raw>"}`
	got, _ = enc.AppendTransmission([]byte("a"), tr)
	if string(got) != "a"+tr {
		t.Errorf("transmission changed: %s", got)
	}
	if enc.ID() != "json" || enc.FrameType() != TextFrame {
		t.Errorf("ID/FrameType = %q/%d", enc.ID(), enc.FrameType())
	}
}

func TestJSONDecode(t *testing.T) {
	enc := NewJSON()
	var m Message
	in := `{"command":"message","identifier":"{\"channel\":\"test_channel\",\"channelId\":\"23\"}","data":"hello world"}`
	if err := enc.Decode([]byte(in), &m); err != nil {
		t.Fatal(err)
	}
	if m.Command != "message" || m.Identifier != `{"channel":"test_channel","channelId":"23"}` || m.Data != "hello world" || !m.DataIsString || m.RawData != nil {
		t.Errorf("decoded %+v", m)
	}

	in = `{"command":"whisper","identifier":"x","data":{"event":"typing", "n":[1,2]}}`
	if err := enc.Decode([]byte(in), &m); err != nil {
		t.Fatal(err)
	}
	if m.Command != "whisper" || m.DataIsString || m.Data != "" || string(m.RawData) != `{"event":"typing", "n":[1,2]}` {
		t.Errorf("decoded %+v", m)
	}

	in = `{"command":"history","identifier":"x","history":{"since":1700000000,"streams":{"s1":{"epoch":"e","offset":42},"s\u00e9":{"offset":1}}}}`
	if err := enc.Decode([]byte(in), &m); err != nil {
		t.Fatal(err)
	}
	if m.History == nil || m.History.Since != 1700000000 || len(m.History.Streams) != 2 ||
		m.History.Streams["s1"] != (StreamPosition{Epoch: "e", Offset: 42}) || m.History.Streams["sé"] != (StreamPosition{Offset: 1}) {
		t.Errorf("history %+v", m.History)
	}
	if m.DataIsString || m.Presence != nil {
		t.Errorf("message not reset: %+v", m)
	}

	in = `{"command":"join","identifier":"x","presence":{"id":"u1","info":{"name":"Jack"}}}`
	if err := enc.Decode([]byte(in), &m); err != nil {
		t.Fatal(err)
	}
	if m.Presence == nil || m.Presence.ID != "u1" || string(m.Presence.Info) != `{"name":"Jack"}` || m.History != nil {
		t.Errorf("presence %+v", m.Presence)
	}

	// Keys match case-insensitively, like encoding/json; the last duplicate wins.
	in = `{"COMMAND":"subscribe","Identifier":"a","identifier":"b","ſince":1,"unknown":[{"x":null}]}`
	if err := enc.Decode([]byte(in), &m); err != nil {
		t.Fatal(err)
	}
	if m.Command != "subscribe" || m.Identifier != "b" {
		t.Errorf("decoded %+v", m)
	}
}

func TestJSONDecodeErrors(t *testing.T) {
	bad := []string{
		``, `[]`, `"x"`, `{`, `{"command":}`, `{"command":1}`, `{"identifier":true}`, `{"command":"a",}`,
		`{"history":{"since":1.5}}`, `{"history":{"since":"1"}}`, `{"history":{"streams":{"s":{"offset":-1}}}}`,
		`{"history":{"streams":[]}}`, `{"presence":"x"}`, `{"data":1e400}`, `{"a":"\x01"}`, `{"a":"\u12"}`,
		`{"a":1} x`, `{"a":tru}`, `{"a":01}`, `{"a":-}`, `{"a":1.}`, `{"a":1e}`, `{"a":"\q"}`,
		`{"a":` + strings.Repeat("[", jsonkit.MaxDepth) + strings.Repeat("]", jsonkit.MaxDepth) + `}`,
	}
	var m Message
	for _, in := range bad {
		if err := NewJSON().Decode([]byte(in), &m); err == nil {
			t.Errorf("%.60q: no error, got %+v", in, m)
		}
	}
	// Exactly at the depth limit is still valid.
	ok := `{"data":` + strings.Repeat("[", jsonkit.MaxDepth-1) + strings.Repeat("]", jsonkit.MaxDepth-1) + `}`
	if err := NewJSON().Decode([]byte(ok), &m); err != nil {
		t.Errorf("depth %d rejected: %v", jsonkit.MaxDepth, err)
	}
}
