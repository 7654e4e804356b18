package cableproto

import "testing"

func TestGraphQLReplies(t *testing.T) {
	for in, want := range map[string]Kind{
		`{"type":"connection_ack"}`:                KindWelcome,
		`{"type":"ping"}`:                          KindPing,
		`{"id":"p","type":"complete"}`:             KindConfirm,
		`{"id":"s","type":"complete"}`:             KindOther,
		`{"id":"s","type":"next","payload":{}}`:    KindMessage,
		`{"id":"s","type":"error","payload":[{}]}`: KindReject,
		`{"type":"pong"}`:                          KindOther,
	} {
		var r Reply
		if err := (GraphQL{}).ParseReply([]byte(in), &r); err != nil || r.Kind != want {
			t.Errorf("%s: kind %d, %v; want %d", in, r.Kind, err, want)
		}
	}
	var r Reply
	if (GraphQL{}).ParseReply([]byte(`{"type":`), &r) == nil {
		t.Error("malformed reply accepted")
	}
	if c, err := ByName("graphql"); err != nil || c.Subprotocol() != "graphql-transport-ws" {
		t.Fatalf("ByName: %v %v", c, err)
	}
}
