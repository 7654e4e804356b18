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
		// Exact member names (encoding/json's struct fields would also
		// match "EVENT"); the last of a repeated member counts.
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(in, &obj); err != nil {
			t.Fatalf("accepted %q that encoding/json refuses: %v", in, err)
		}
		var ref struct {
			Event, Channel string
			Data           json.RawMessage
		}
		_ = json.Unmarshal(obj["event"], &ref.Event)
		_ = json.Unmarshal(obj["channel"], &ref.Channel)
		ref.Data = obj["data"]
		switch m.Command {
		case "subscribe", "unsubscribe":
			var sub struct{ Channel, Auth string }
			var d map[string]json.RawMessage
			err := json.Unmarshal(ref.Data, &d)
			_ = json.Unmarshal(d["channel"], &sub.Channel)
			_ = json.Unmarshal(d["auth"], &sub.Auth)
			if err != nil || sub.Channel != m.Identifier ||
				m.Command == "subscribe" && sub.Auth != m.Data {
				t.Fatalf("%q: decoded %+v, encoding/json %+v (%v)", in, m, sub, err)
			}
			if m.Presence != nil {
				var cd map[string]json.RawMessage
				err := json.Unmarshal(m.RawData, &cd)
				member := struct{ UserID json.RawMessage }{cd["user_id"]}
				var id string
				if err != nil ||
					json.Unmarshal(member.UserID, &id) != nil && string(member.UserID) != m.Presence.ID ||
					id != "" && id != m.Presence.ID {
					t.Fatalf("%q: member %q, encoding/json %s (%v)", in, m.Presence.ID, member.UserID, err)
				}
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

// FuzzAppendEvent: whatever a publication holds, subscribers get valid
// JSON, and a publication of the event shape keeps its event and data.
func FuzzAppendEvent(f *testing.F) {
	for _, s := range []string{`{"event":"e","data":"{\"a\":1}"}`, `{"event":"client-x","data":{"a":[1]},"user_id":"u"}`,
		`{"id":"u","info":{"n":1},"type":"join"}`, `"text"`, `{"event":1}`, `<p>`} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, data string, presence bool) {
		payload := encoders.BroadcastPayload(data)
		r := encoders.Reply{Identifier: "ch", Message: payload}
		if presence {
			r.Type = "presence"
		}
		out, err := (codec{}).AppendReply(nil, &r)
		if err != nil {
			t.Fatal(err)
		}
		if presence && len(out) == 0 {
			return // not a join or leave: nothing to send
		}
		var got struct {
			Event   string          `json:"event"`
			Channel string          `json:"channel"`
			Data    json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(out, &got); err != nil || got.Channel != "ch" || got.Event == "" {
			t.Fatalf("%q rendered as %s (%v)", payload, out, err)
		}
		if presence {
			return
		}
		var pub map[string]json.RawMessage
		var event string
		if json.Unmarshal(payload, &pub) == nil && json.Unmarshal(pub["event"], &event) == nil && event != "" {
			want := pub["data"]
			if want == nil {
				want = json.RawMessage(`"{}"`)
			}
			if got.Event != event || !jsonEqual(t, got.Data, want) {
				t.Fatalf("%s rendered as %s", payload, out)
			}
		}
	})
}
