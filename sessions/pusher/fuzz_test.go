package pusher

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/densecable/densecable/encoders"
)

// FuzzDecode: whatever Decode accepts, encoding/json reads the same way
// (event, channel, data), and a client event's data rendered back to
// subscribers is the JSON value the client sent.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"event":"pusher:ping","data":{}}`,
		`{"event":"pusher:subscribe","data":{"channel":"presence-a","auth":"k:00","channel_data":"{\"user_id\":1}"}}`,
		`{"event":"pusher:unsubscribe","data":{"channel":"a"}}`,
		`{"event":"client-x","channel":"private-a","data":{"a":"\u00e9"}}`,
		`{"event":"client-x","channel":"private-a","data":"s","event":"client-y"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var m encoders.Message
		if err := (codec{}).Decode(in, &m); err != nil {
			return
		}
		var ref struct {
			Event   string          `json:"event"`
			Channel string          `json:"channel"`
			Data    json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(in, &ref); err != nil {
			t.Fatalf("accepted %q that encoding/json refuses: %v", in, err)
		}
		switch m.Command {
		case "subscribe", "unsubscribe":
			var sub struct {
				Channel string `json:"channel"`
				Auth    string `json:"auth"`
			}
			if err := json.Unmarshal(ref.Data, &sub); err != nil || sub.Channel != m.Identifier ||
				m.Command == "subscribe" && sub.Auth != m.Data {
				t.Fatalf("%q: decoded %+v, encoding/json %+v (%v)", in, m, sub, err)
			}
		case "whisper":
			if ref.Event != m.Data || ref.Channel != m.Identifier || !strings.HasPrefix(m.Data, "client-") {
				t.Fatalf("%q: decoded %+v, encoding/json %+v", in, m, ref)
			}
			// Round trip: what subscribers get carries the same data.
			p := New(Options{})
			pub, _ := p.Whisper("1.1", m.Identifier, m.Identifier, nil, &m)
			out, _ := (codec{}).AppendReply(nil, &encoders.Reply{Identifier: m.Identifier, Message: encoders.BroadcastPayload(string(pub))})
			var got struct {
				Event   string          `json:"event"`
				Channel string          `json:"channel"`
				Data    json.RawMessage `json:"data"`
			}
			if err := json.Unmarshal(out, &got); err != nil || got.Event != m.Data || got.Channel != m.Identifier {
				t.Fatalf("%q rendered as %s (%v)", in, out, err)
			}
			if !jsonEqual(t, got.Data, m.RawData) {
				t.Fatalf("data %s came back as %s", m.RawData, got.Data)
			}
		case "ping", "pong":
			if ref.Event != "pusher:"+m.Command {
				t.Fatalf("%q: %s but event %q", in, m.Command, ref.Event)
			}
		default:
			t.Fatalf("unexpected command %q", m.Command)
		}
	})
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	var x, y any
	da, db := json.NewDecoder(bytes.NewReader(a)), json.NewDecoder(bytes.NewReader(b))
	da.UseNumber()
	db.UseNumber()
	if da.Decode(&x) != nil || db.Decode(&y) != nil {
		return false
	}
	xs, _ := json.Marshal(x)
	ys, _ := json.Marshal(y)
	return bytes.Equal(xs, ys)
}
