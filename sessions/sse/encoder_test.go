package sse

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/densecable/densecable/encoders"
)

func TestEncoderEvents(t *testing.T) {
	get, post := &Encoder{unwrap: true}, &Encoder{}
	id := `{"channel":"$pubsub","stream_name":"chat"}`
	data := &encoders.Reply{Identifier: id, Message: []byte(`{"x":1}`), StreamID: "chat_9", Epoch: "gIHb", Offset: 1}
	for _, tc := range []struct {
		name string
		got  func() ([]byte, error)
		want string
	}{
		{"GET data: the message, with its id", func() ([]byte, error) { return get.AppendReply(nil, data) },
			"data: {\"x\":1}\nid: 1/gIHb/chat_9\n\n"},
		{"POST data: the full reply", func() ([]byte, error) { return post.AppendReply(nil, data) },
			`data: {"identifier":"{\"channel\":\"$pubsub\",\"stream_name\":\"chat\"}","message":{"x":1},"stream_id":"chat_9","epoch":"gIHb","offset":1}` + "\nid: 1/gIHb/chat_9\n\n"},
		{"a string message is sent as text, one data line per line", func() ([]byte, error) {
			return get.AppendReply(nil, &encoders.Reply{Message: []byte(`"a\nb\r\nc\rd"`)})
		}, "data: a\ndata: b\ndata: c\ndata: d\n\n"},
		{"typed replies: event and the full JSON", func() ([]byte, error) {
			return get.AppendReply(nil, &encoders.Reply{Type: "confirm_history", Identifier: "i"})
		}, "event: confirm_history\ndata: {\"type\":\"confirm_history\",\"identifier\":\"i\"}\n\n"},
		{"no id without epoch", func() ([]byte, error) {
			return get.AppendReply(nil, &encoders.Reply{Message: []byte(`1`), StreamID: "s", Offset: 3})
		}, "data: 1\n\n"},
		{"disconnect without reconnect: retry in a year", func() ([]byte, error) { return get.AppendDisconnect(nil, "unauthorized", false) },
			"event: disconnect\ndata: {\"type\":\"disconnect\",\"reason\":\"unauthorized\",\"reconnect\":false}\nretry: 31536000000\n\n"},
		{"disconnect with reconnect", func() ([]byte, error) { return get.AppendDisconnect(nil, "server_restart", true) },
			"event: disconnect\ndata: {\"type\":\"disconnect\",\"reason\":\"server_restart\",\"reconnect\":true}\n\n"},
		{"ping", func() ([]byte, error) { return get.AppendPing(nil, 1694041735) },
			"event: ping\ndata: {\"type\":\"ping\",\"message\":1694041735}\n\n"},
		{"transmission: typed", func() ([]byte, error) {
			return get.AppendTransmission(nil, `{"type":"confirm_subscription","identifier":"i"}`)
		}, "event: confirm_subscription\ndata: {\"type\":\"confirm_subscription\",\"identifier\":\"i\"}\n\n"},
		{"transmission: GET data is the message", func() ([]byte, error) {
			return get.AppendTransmission(nil, `{"identifier":"i","message":{"a":[1, 2]}}`)
		}, "data: {\"a\":[1, 2]}\n\n"},
		{"transmission: POST data is all of it, line breaks split", func() ([]byte, error) {
			return post.AppendTransmission(nil, "{\"identifier\":\"i\",\n\"message\":\"hi\"}")
		}, "data: {\"identifier\":\"i\",\ndata: \"message\":\"hi\"}\n\n"},
	} {
		got, err := tc.got()
		if err != nil || string(got) != tc.want {
			t.Errorf("%s:\n got %q (%v)\nwant %q", tc.name, got, err, tc.want)
		}
	}
	if _, err := get.AppendTransmission(nil, `[1]`); err == nil {
		t.Error("a transmission that is not an object was rendered")
	}
	if err := get.Decode([]byte(`{}`), &encoders.Message{}); err == nil {
		t.Error("SSE decoded a client message")
	}
}

// FuzzTransmission: whatever an application sends, the rendering is one
// event (a single blank line, at the end: nothing can add an event or a
// field to the stream), agrees with encoding/json on the type, and a GET
// data event carries the message value.
func FuzzTransmission(f *testing.F) {
	f.Add(`{"type":"confirm_subscription","identifier":"x"}`)
	f.Add(`{"identifier":"x","message":"a\nb"}`)
	f.Add(`{"identifier":"x","message":{"k":"v\r\n"},"offset":3,"epoch":"e","stream_id":"s\n"}`)
	f.Add("{\"type\":\"a\\nevent: b\"}")
	f.Fuzz(func(t *testing.T, msg string) {
		for _, enc := range []*Encoder{{unwrap: true}, {}} {
			out, err := enc.AppendTransmission(nil, msg)
			var ref struct {
				Type    *string         `json:"type"`
				Message json.RawMessage `json:"message"`
			}
			refErr := json.Unmarshal([]byte(msg), &ref)
			if err != nil {
				if refErr == nil && strings.HasPrefix(strings.TrimSpace(msg), "{") {
					t.Fatalf("%q refused (%v), encoding/json takes it", msg, err)
				}
				continue
			}
			if refErr != nil {
				continue // a repeated key of another type, etc.: both sides differ on edge cases
			}
			if i := bytes.Index(out, []byte("\n\n")); i != len(out)-2 {
				t.Fatalf("%q rendered as more than one event: %q", msg, out)
			}
			if bytes.Contains(out, []byte("\r")) {
				t.Fatalf("%q: raw CR in %q", msg, out)
			}
			typ := ""
			if ref.Type != nil {
				typ = *ref.Type
			}
			if first := strings.SplitN(typ, "\n", 2)[0]; typ != "" && !strings.ContainsAny(typ, "\r") &&
				!bytes.HasPrefix(out, []byte("event: "+first+"\n")) {
				t.Fatalf("%q: type %q not the event of %q", msg, typ, out)
			}
		}
	})
}

// dataLinesByByte is appendDataLines as it was first written, byte by
// byte: the reference the chunked version must agree with.
func dataLinesByByte(dst []byte, text string) []byte {
	dst = append(dst, "data: "...)
	for i := 0; i < len(text); i++ {
		switch c := text[i]; c {
		case '\r':
			if i+1 < len(text) && text[i+1] == '\n' {
				i++
			}
			dst = append(dst, "\ndata: "...)
		case '\n':
			dst = append(dst, "\ndata: "...)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// FuzzDataLines: the data fields agree with the byte-by-byte reference,
// after any prefix already in dst, and hold no bare line break of the text.
func FuzzDataLines(f *testing.F) {
	for _, s := range []string{"", "a", "a\nb", "a\r\nb", "a\rb", "\r", "\n", "\r\n", "x\r\r\n\n", "{\"type\":\"welcome\"}"} {
		f.Add("event: x\n", s)
	}
	f.Fuzz(func(t *testing.T, prefix, text string) {
		got := string(appendDataLines([]byte(prefix), text))
		want := string(dataLinesByByte([]byte(prefix), text))
		if got != want {
			t.Fatalf("appendDataLines(%q, %q) = %q, want %q", prefix, text, got, want)
		}
		if n := strings.Count(got[len(prefix):], "\n"); n != strings.Count(got[len(prefix):], "\ndata: ") {
			t.Fatalf("a line break without a data field: %q", got)
		}
	})
}
