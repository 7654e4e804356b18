package cableproto

import (
	"testing"

	"github.com/densecable/densecable/encoders"
)

// The server's encoders and these client codecs were written independently;
// each must understand the other.

func serverEncoder(t *testing.T, c Codec) encoders.Encoder {
	t.Helper()
	enc, _, ok := encoders.ForSubprotocol(c.Subprotocol())
	if !ok {
		t.Fatalf("server has no encoder for %s", c.Subprotocol())
	}
	return enc
}

func TestServerDecodesClientCommands(t *testing.T) {
	data := string(AppendBenchData(nil, "broadcast", 123, "pad"))
	for _, name := range Names() {
		c, _ := ByName(name)
		enc := serverEncoder(t, c)
		var m encoders.Message
		if err := enc.Decode(c.AppendCommand(nil, "message", ident, data), &m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if m.Command != "message" || m.Identifier != ident || m.Data != data {
			t.Fatalf("%s: decoded %+v", name, m)
		}
		if err := enc.Decode(c.AppendCommand(nil, "subscribe", ident, ""), &m); err != nil || m.Command != "subscribe" {
			t.Fatalf("%s subscribe: %+v %v", name, m, err)
		}
	}
}

func TestClientParsesServerReplies(t *testing.T) {
	bench := AppendBenchData(nil, "broadcast", 1700000000123456789, "")
	for _, name := range Names() {
		c, _ := ByName(name)
		enc := serverEncoder(t, c)
		cases := []struct {
			what string
			b    func() ([]byte, error)
			want Reply
		}{
			{"welcome", func() ([]byte, error) { return enc.AppendTransmission(nil, `{"type":"welcome"}`) }, Reply{Kind: KindWelcome}},
			{"confirm", func() ([]byte, error) {
				return enc.AppendTransmission(nil, `{"type":"confirm_subscription","identifier":"{\"channel\":\"BenchmarkChannel\"}"}`)
			}, Reply{Kind: KindConfirm}},
			{"ping", func() ([]byte, error) { return enc.AppendPing(nil, 1700000000) }, Reply{Kind: KindPing}},
			{"disconnect", func() ([]byte, error) { return enc.AppendDisconnect(nil, "server_restart", true) }, Reply{Kind: KindDisconnect}},
			{"broadcast", func() ([]byte, error) {
				return enc.AppendReply(nil, &encoders.Reply{Identifier: ident, Message: encoders.BroadcastPayload(string(bench))})
			}, Reply{Kind: KindMessage, Action: ActionBroadcast, SendTime: 1700000000123456789}},
			{"broadcastResult", func() ([]byte, error) {
				return enc.AppendTransmission(nil, `{"identifier":"x","message":{"action":"broadcastResult","payload":{"sendTime":"42"}}}`)
			}, Reply{Kind: KindMessage, Action: ActionBroadcastResult, SendTime: 42}},
		}
		for _, tc := range cases {
			b, err := tc.b()
			if err != nil {
				t.Fatalf("%s %s: encode: %v", name, tc.what, err)
			}
			var r Reply
			if err := c.ParseReply(b, &r); err != nil || r != tc.want {
				t.Errorf("%s %s: got %+v (%v), want %+v", name, tc.what, r, err, tc.want)
			}
		}
	}
}
