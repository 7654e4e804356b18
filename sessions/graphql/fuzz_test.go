package graphql

import (
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/densecable/densecable/encoders"
	"github.com/densecable/densecable/sessions/protocol"
)

// FuzzDecode checks the decoder against encoding/json: what it accepts is
// a JSON object whose type, id and payload it reads as encoding/json does
// (the operation id round-trips through the identifier; the perform's data
// is JSON carrying the same query and variables); what it refuses gets a
// close reason that fits a close frame (graphql-transport-ws) or an error
// message that is JSON (legacy).
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"type":"connection_init","payload":{"token":"a"}}`,
		`{"id":"1","type":"subscribe","payload":{"query":"{ hello }","variables":{"a":[1,"\u00e9"]}}}`,
		`{"id":"x\"y","type":"start","payload":{"query":"q","operationName":"O"}}`,
		`{"id":"1","type":"complete"}`, `{"type":"ping"}`, `{"type":"stop","id":"2"}`, `{`, `[]`,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, in []byte, old bool) {
		p := modern
		if old {
			p = legacy
		}
		var m protocol.Command
		err := p.Decode(in, &m)
		if err != nil {
			var r *protocol.Refusal
			if !errors.As(err, &r) {
				t.Fatalf("not a refusal: %v", err)
			}
			if len(r.Reason) > 123 || !utf8.ValidString(r.Reason) && utf8.ValidString(string(in)) {
				t.Fatalf("close reason %q", r.Reason)
			}
			if r.Reply != nil && !json.Valid(r.Reply) {
				t.Fatalf("reply is not JSON: %s", r.Reply)
			}
			return
		}
		var ref struct {
			Type    string          `json:"type"`
			ID      *string         `json:"id"`
			Payload json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(in, &ref) != nil {
			t.Fatalf("accepted what encoding/json refuses: %q", in)
		}
		switch m.Command {
		case "subscribe", "unsubscribe":
			if ref.ID == nil || operationID(m.Identifier) != *ref.ID || !json.Valid([]byte(m.Identifier)) {
				t.Fatalf("id %v became identifier %s", ref.ID, m.Identifier)
			}
		}
		if m.Command != "subscribe" {
			return
		}
		var want, got struct {
			Query     string          `json:"query"`
			Variables json.RawMessage `json:"variables"`
		}
		if err := json.Unmarshal(ref.Payload, &want); err != nil {
			t.Fatalf("payload: %v", err)
		}
		if m.Then == nil || json.Unmarshal([]byte(m.Then.Data), &got) != nil || got.Query != want.Query ||
			(len(want.Variables) > 0 && string(got.Variables) != string(want.Variables)) {
			t.Fatalf("perform data %q from payload %s", m.Then.Data, ref.Payload)
		}
	})
}

// FuzzBroadcast: whatever an application broadcasts, a GraphQL client gets
// nothing or one JSON message for its operation.
func FuzzBroadcast(f *testing.F) {
	f.Add([]byte(`{"result":{"data":{"a":1}},"more":true}`), "op")
	f.Add([]byte(`{"more":false}`), "x\u2028")
	f.Fuzz(func(t *testing.T, msg []byte, id string) {
		if !json.Valid(msg) || !utf8.ValidString(id) {
			return // the hub hands the codec normalised JSON
		}
		for _, p := range []*Protocol{modern, legacy} {
			out, err := p.Encoder().AppendReply(nil, &encoders.Reply{Identifier: p.identifier(id), Message: msg})
			if err != nil || len(out) == 0 {
				continue
			}
			var v struct {
				ID   string `json:"id"`
				Type string `json:"type"`
			}
			if json.Unmarshal(out, &v) != nil || v.ID != id || v.Type == "" {
				t.Fatalf("rendered %s for %q", out, msg)
			}
		}
	})
}
