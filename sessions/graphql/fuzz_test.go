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
		`{"id":"1","type":"subscribe","payload":{"query":"q","vAriABles":{"0":["0"]}}}`,             // keys are case-sensitive
		`{"id":"1","\u0069d":"2","\u0074ype":"subscribe","payload":{"query":"a","\u0071uery":"b"}}`, // and unescaped
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
		// Keys are matched exactly, as JSON.parse and the clients do; a
		// struct would let encoding/json match "vAriABles" to variables.
		ref := exactFields(t, in)
		switch m.Command {
		case "subscribe", "unsubscribe":
			var id *string
			if json.Unmarshal(ref["id"], &id) != nil || id == nil || operationID(m.Identifier) != *id || !json.Valid([]byte(m.Identifier)) {
				t.Fatalf("id %s became identifier %s", ref["id"], m.Identifier)
			}
		}
		if m.Command != "subscribe" {
			return
		}
		want := exactFields(t, ref["payload"])
		var wantQuery string
		if err := json.Unmarshal(want["query"], &wantQuery); err != nil {
			t.Fatalf("payload query: %v", err)
		}
		var got struct {
			Query     string          `json:"query"`
			Variables json.RawMessage `json:"variables"`
		}
		wantVars := want["variables"]
		if m.Then == nil || json.Unmarshal([]byte(m.Then.Data), &got) != nil || got.Query != wantQuery ||
			(len(wantVars) > 0 && string(got.Variables) != string(wantVars)) {
			t.Fatalf("perform data %q from payload %s", m.Then.Data, ref["payload"])
		}
	})
}

// exactFields decodes a JSON object with its keys matched exactly (the
// last of duplicate keys wins, as in the decoder).
func exactFields(t *testing.T, b []byte) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("accepted what encoding/json refuses: %q: %v", b, err)
	}
	return m
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
