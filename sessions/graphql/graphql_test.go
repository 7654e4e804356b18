package graphql

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/densecable/densecable/encoders"
	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/sessions/protocol"
)

var (
	modern = New(TransportWS, Options{})
	legacy = New(LegacyWS, Options{Channel: "Gql", Action: "run"})
)

func refusal(t *testing.T, err error) *protocol.Refusal {
	t.Helper()
	var r *protocol.Refusal
	if !errors.As(err, &r) {
		t.Fatalf("want a refusal, got %v", err)
	}
	return r
}

func TestDecodeMapsMessagesOntoCommands(t *testing.T) {
	var m protocol.Command
	if err := modern.Decode([]byte(`{"type":"connection_init","payload":{"token":"a"}}`), &m); err != nil || m.Command != "connect" || string(m.RawData) != `{"token":"a"}` {
		t.Fatalf("init: %v %+v", err, m)
	}
	if err := modern.Decode([]byte(`{"type":"connection_init"}`), &m); err != nil || m.Command != "connect" || m.RawData != nil {
		t.Fatalf("init without params: %v %+v", err, m)
	}
	err := modern.Decode([]byte(`{"id":"1","type":"subscribe","payload":{"query":"{ hello }","variables":{"a":[1]},"extensions":{}}}`), &m)
	if err != nil || m.Command != "subscribe" || m.Identifier != `{"channel":"GraphqlChannel","channelId":"1"}` {
		t.Fatalf("subscribe: %v %+v", err, m)
	}
	if th := m.Then; th == nil || th.Command != "message" || th.Identifier != m.Identifier || !th.DataIsString ||
		th.Data != `{"query":"{ hello }","variables":{"a":[1]},"operationName":null,"action":"execute"}` {
		t.Fatalf("perform: %+v", m.Then)
	}
	if err := modern.Decode([]byte(`{"id":"1","type":"complete"}`), &m); err != nil || m.Command != "unsubscribe" || operationID(m.Identifier) != "1" {
		t.Fatalf("complete: %v %+v", err, m)
	}
	for _, typ := range []string{"ping", "pong"} {
		if err := modern.Decode([]byte(`{"type":"`+typ+`","payload":{}}`), &m); err != nil || m.Command != typ {
			t.Fatalf("%s: %v %+v", typ, err, m)
		}
	}
	if err := legacy.Decode([]byte(`{"id":"7","type":"start","payload":{"query":"q","operationName":"Op"}}`), &m); err != nil ||
		m.Identifier != `{"channel":"Gql","channelId":"7"}` || m.Then.Data != `{"query":"q","variables":null,"operationName":"Op","action":"run"}` {
		t.Fatalf("start: %v %+v", err, m)
	}
	if err := legacy.Decode([]byte(`{"id":"7","type":"stop"}`), &m); err != nil || m.Command != "unsubscribe" {
		t.Fatalf("stop: %v %+v", err, m)
	}
	if r := refusal(t, legacy.Decode([]byte(`{"type":"connection_terminate"}`), &m)); r.Code != frames.CloseNormal {
		t.Fatalf("terminate: %+v", r)
	}
}

func TestDecodeRefusesBadInput(t *testing.T) {
	bad := []string{
		`not json`, `[]`, `{"type":"subscribe"`, `{"type":1}`, `{"type":"nope"}`,
		`{"type":"connection_init","payload":[1]}`,
		`{"type":"subscribe","payload":{"query":"q"}}`,         // no id
		`{"id":"","type":"subscribe","payload":{"query":"q"}}`, // empty id
		`{"id":1,"type":"subscribe","payload":{"query":"q"}}`,  // id not a string
		`{"id":"1","type":"subscribe","payload":{"query":1}}`,  // query not a string
		`{"id":"1","type":"subscribe"}`,                        // no payload
		`{"id":"` + strings.Repeat("x", MaxIDLength+1) + `","type":"complete"}`,
		`{"id":"1","type":"start","payload":{"query":"q"}}`, // the legacy name
		`{"type":"next","id":"1","payload":{}}`,             // a server message
		`{"type":"ping"} x`,
	}
	var m protocol.Command
	for _, in := range bad {
		r := refusal(t, modern.Decode([]byte(in), &m))
		if r.Code != CodeBadRequest || len(r.Reason) > 123 || r.Reply != nil {
			t.Fatalf("%s: %+v", in, r)
		}
	}
	// The legacy protocol answers with an error message and stays open.
	for _, in := range []string{`not json`, `{"type":"nope","id":"3"}`, `{"type":"ping"}`} {
		r := refusal(t, legacy.Decode([]byte(in), &m))
		var reply struct {
			Type    string `json:"type"`
			Payload struct{ Message string }
		}
		if r.Code != 0 || json.Unmarshal(r.Reply, &reply) != nil || reply.Type != "error" || reply.Payload.Message == "" {
			t.Fatalf("%s: %+v %s", in, r, r.Reply)
		}
	}
}

func TestScreenEnforcesTheOrder(t *testing.T) {
	st := modern.NewState()
	sub := func(id string) *protocol.Command {
		return &protocol.Command{Command: "subscribe", Identifier: modern.identifier(id)}
	}
	code := func(err error) uint16 {
		if err == nil {
			return 0
		}
		return refusal(t, err).Code
	}
	if c := code(modern.Screen(st, sub("a"))); c != CodeUnauthorized {
		t.Fatalf("subscribe before init: %d", c)
	}
	if err := modern.Screen(st, &protocol.Command{Command: "connect"}); err != nil {
		t.Fatal(err)
	}
	if c := code(modern.Screen(st, &protocol.Command{Command: "connect"})); c != CodeTooManyInitRequests {
		t.Fatalf("second init: %d", c)
	}
	if err := modern.Screen(st, sub("a")); err != nil {
		t.Fatal(err)
	}
	r := refusal(t, modern.Screen(st, sub("a")))
	if r.Code != CodeSubscriberExists || r.Reason != "Subscriber for a already exists" {
		t.Fatalf("duplicate: %+v", r)
	}
	// complete frees the id; completing an unknown one is only dropped.
	if err := modern.Screen(st, &protocol.Command{Command: "unsubscribe", Identifier: modern.identifier("a")}); err != nil {
		t.Fatal(err)
	}
	if c := code(modern.Screen(st, &protocol.Command{Command: "unsubscribe", Identifier: modern.identifier("a")})); c != 0 {
		t.Fatalf("unknown complete: %d", c)
	}
	for i := 0; i < MaxOperations; i++ {
		if err := modern.Screen(st, sub(strings.Repeat("x", i+1))); err != nil {
			t.Fatalf("op %d: %v", i, err)
		}
	}
	if r := refusal(t, modern.Screen(st, sub("one-too-many"))); r.Code != CodeBadRequest || r.Reason != "Too many operations" {
		t.Fatalf("over the bound: %+v", r)
	}
	// The server ending an operation (more:false) frees its id too.
	id := strings.Repeat("x", 1)
	if ends, _ := modern.Transmit(st, modern.identifier(id), `{"message":{"result":{"data":1},"more":false}}`, func([]byte) {}); !ends {
		t.Fatal("more:false did not end the operation")
	}
	if err := modern.Screen(st, sub(id)); err != nil {
		t.Fatalf("id reused after the server completed it: %v", err)
	}
	// Legacy: a duplicate is an error for that operation, not a close.
	lst := legacy.NewState()
	_ = legacy.Screen(lst, &protocol.Command{Command: "connect"})
	_ = legacy.Screen(lst, &protocol.Command{Command: "subscribe", Identifier: legacy.identifier("1")})
	if r := refusal(t, legacy.Screen(lst, &protocol.Command{Command: "subscribe", Identifier: legacy.identifier("1")})); r.Code != 0 ||
		string(r.Reply) != `{"id":"1","type":"error","payload":{"message":"Subscriber for 1 already exists"}}` {
		t.Fatalf("legacy duplicate: %+v %s", r, r.Reply)
	}
}

func transmitted(t *testing.T, p *Protocol, identifier, msg string) ([]string, bool) {
	t.Helper()
	var out []string
	ends, err := p.Transmit(p.NewState(), identifier, msg, func(b []byte) { out = append(out, string(b)) })
	if err != nil {
		t.Fatalf("%s: %v", msg, err)
	}
	return out, ends
}

func TestTransmitRendersResults(t *testing.T) {
	id := modern.identifier("op1")
	cases := []struct {
		p          *Protocol
		identifier string
		msg        string
		want       []string
		ends       bool
	}{
		{modern, "", `{"type":"welcome"}`, []string{`{"type":"connection_ack"}`}, false},
		{modern, "", `{"type":"disconnect","reason":"unauthorized"}`, nil, false},
		{legacy, "", `{"type":"disconnect","reason":"unauthorized"}`, []string{`{"type":"connection_error","payload":{"message":"unauthorized"}}`}, false},
		{legacy, "", `{"type":"disconnect","reason":"banned"}`, []string{`{"type":"connection_error","payload":{"message":"banned"}}`}, false},
		{legacy, "", `{"type":"disconnect"}`, []string{`{"type":"connection_error","payload":{"message":"unauthorized"}}`}, false},
		{modern, id, `{"type":"confirm_subscription","identifier":"x"}`, nil, false},
		{modern, id, `{"type":"reject_subscription","identifier":"x"}`, []string{`{"id":"op1","type":"error","payload":[{"message":"Subscription rejected"}]}`}, true},
		{modern, id, `{"identifier":"x","message":{"result":{"data":{"hello":"w"}},"more":false}}`,
			[]string{`{"id":"op1","type":"next","payload":{"data":{"hello":"w"}}}`, `{"id":"op1","type":"complete"}`}, true},
		{modern, id, `{"identifier":"x","message":{"result":{},"more":true}}`, nil, false},
		{modern, id, `{"identifier":"x","message":{"result":{"data":null,"errors":[{"message":"e"}]},"more":false}}`,
			[]string{`{"id":"op1","type":"next","payload":{"data":null,"errors":[{"message":"e"}]}}`, `{"id":"op1","type":"complete"}`}, true},
		{legacy, legacy.identifier("2"), `{"message":{"result":{"data":1},"more":true}}`, []string{`{"id":"2","type":"data","payload":{"data":1}}`}, false},
	}
	for _, c := range cases {
		got, ends := transmitted(t, c.p, c.identifier, c.msg)
		if strings.Join(got, "\n") != strings.Join(c.want, "\n") || ends != c.ends {
			t.Errorf("%s %s:\n got %q ends=%v\nwant %q ends=%v", c.p.Name(), c.msg, got, ends, c.want, c.ends)
		}
	}
}

func TestBroadcastsRenderAsNext(t *testing.T) {
	render := func(p *Protocol, typ, identifier, msg string) string {
		b, err := p.Encoder().AppendReply(nil, &encoders.Reply{Type: typ, Identifier: identifier, Message: []byte(msg)})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	id := modern.identifier("s1")
	for _, c := range []struct {
		p              *Protocol
		typ, msg, want string
	}{
		{modern, "", `{"result":{"data":{"postCreated":{"t":1}}},"more":true}`, `{"id":"s1","type":"next","payload":{"data":{"postCreated":{"t":1}}}}`},
		{legacy, "", `{"result":{"data":1},"more":true}`, `{"id":"s1","type":"data","payload":{"data":1}}`},
		{modern, "", `{"more":false}`, `{"id":"s1","type":"complete"}`},
		{modern, "", `"plain text"`, ``},
		{modern, "", `{"other":1}`, ``},
		{modern, "pong", ``, `{"type":"pong"}`},
		{legacy, "pong", ``, ``},
		{modern, "presence", `{}`, ``},
	} {
		if got := render(c.p, c.typ, id, c.msg); got != c.want {
			t.Errorf("%s %q %s: got %s want %s", c.p.Name(), c.typ, c.msg, got, c.want)
		}
	}
	if b, _ := modern.AppendPing(nil, 1); string(b) != `{"type":"ping"}` {
		t.Fatal(string(b))
	}
	if b, _ := legacy.AppendPing(nil, 1); string(b) != `{"type":"ka"}` {
		t.Fatal(string(b))
	}
}

func TestHandshakeCarriesParams(t *testing.T) {
	req := &frames.Request{URI: "/graphql", Headers: []frames.Header{{Key: "cookie", Value: "a=1"}}}
	auth, env := modern.Handshake(req, &protocol.Command{RawData: []byte(`{"token":"t","jid":"a b"}`)})
	if len(env) != 1 || env[0].Key != ConnectionHeader || env[0].Value != `{"token":"t","jid":"a b"}` {
		t.Fatalf("env: %+v", env)
	}
	if auth.Get(ConnectionHeader) == "" || auth.Get("cookie") != "a=1" || auth.Query().Get("jid") != "a b" {
		t.Fatalf("auth request: %+v", auth)
	}
	if len(req.Headers) != 1 || req.URI != "/graphql" {
		t.Fatal("the upgrade request was changed")
	}
	// A jid in the URL wins over the params'.
	auth, _ = modern.Handshake(&frames.Request{URI: "/graphql?jid=url"}, &protocol.Command{RawData: []byte(`{"jid":"params"}`)})
	if q := auth.Query()["jid"]; len(q) != 1 || q[0] != "url" {
		t.Fatalf("jid: %v", q)
	}
	// No params: the request as it came.
	if auth, env := modern.Handshake(req, &protocol.Command{}); auth != req || env != nil {
		t.Fatal("changed without params")
	}
}

func TestCloseCodes(t *testing.T) {
	for kind, want := range map[protocol.CloseKind]uint16{
		protocol.CloseAuthFailed:    CodeForbidden,
		protocol.CloseNoHandshake:   CodeInitTimeout,
		protocol.CloseAuthError:     CodeInternalError,
		protocol.CloseServerRestart: frames.CloseGoingAway,
	} {
		if code, _ := modern.CloseFor(kind); code != want {
			t.Errorf("kind %d: %d want %d", kind, code, want)
		}
	}
}
