package streams

import (
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"slices"
	"testing"

	"github.com/densecable/densecable/rpcclient/rpcpb"
)

const secret = "streams-secret"

func newRouter(opts Options) *Router {
	return New(opts, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// want describes an expected answer; nil state means no Env.
type want struct {
	status rpcpb.Status
	stream string
	state  map[string]string
}

func check(t *testing.T, name, identifier string, got *rpcpb.CommandResponse, w want) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: nil response", name)
		return
	}
	if got.GetStatus() != w.status {
		t.Errorf("%s: status %v, want %v", name, got.GetStatus(), w.status)
		return
	}
	var reply string
	switch w.status {
	case rpcpb.Status_SUCCESS:
		reply = `{"type":"confirm_subscription","identifier":` + quote(identifier) + `}`
		if !slices.Equal(got.GetStreams(), []string{w.stream}) {
			t.Errorf("%s: streams %q, want [%q]", name, got.GetStreams(), w.stream)
		}
	case rpcpb.Status_FAILURE:
		reply = `{"type":"reject_subscription","identifier":` + quote(identifier) + `}`
		if len(got.GetStreams()) != 0 {
			t.Errorf("%s: streams %q on failure", name, got.GetStreams())
		}
	default:
		if len(got.GetTransmissions()) != 0 || got.GetErrorMsg() == "" {
			t.Errorf("%s: error response %+v", name, got)
		}
		return
	}
	if !slices.Equal(got.GetTransmissions(), []string{reply}) {
		t.Errorf("%s: transmissions %q, want [%s]", name, got.GetTransmissions(), reply)
	}
	if w.state == nil {
		if got.GetEnv() != nil {
			t.Errorf("%s: env %v, want none", name, got.GetEnv())
		}
	} else if !maps.Equal(got.GetEnv().GetIstate(), w.state) {
		t.Errorf("%s: istate %v, want %v", name, got.GetEnv().GetIstate(), w.state)
	}
}

func ident(kv ...string) string {
	s := "{"
	for i := 0; i < len(kv); i += 2 {
		if i > 0 {
			s += ","
		}
		s += quote(kv[i]) + ":" + kv[i+1]
	}
	return s + "}"
}

func wp(stream string) map[string]string { return map[string]string{"$w": stream, "$p": stream} }

func TestPubSubSigned(t *testing.T) {
	signed := quote(SignStream(secret, "chat/1"))
	id := ident("channel", `"$pubsub"`, "signed_stream_name", signed)
	cases := []struct {
		name string
		opts Options
		id   string
		want want
	}{
		{"default: presence only", Options{Secret: secret, Presence: true}, id, want{rpcpb.Status_SUCCESS, "chat/1", map[string]string{"$p": "chat/1"}}},
		{"whisper and presence", Options{Secret: secret, Whisper: true, Presence: true}, id, want{rpcpb.Status_SUCCESS, "chat/1", wp("chat/1")}},
		{"whisper only", Options{Secret: secret, Whisper: true}, id, want{rpcpb.Status_SUCCESS, "chat/1", map[string]string{"$w": "chat/1"}}},
		{"neither", Options{Secret: secret}, id, want{rpcpb.Status_SUCCESS, "chat/1", nil}},
		{"wrong secret", Options{Secret: "other"}, id, want{status: rpcpb.Status_FAILURE}},
		{"no secret", Options{Public: true}, id, want{status: rpcpb.Status_FAILURE}},
		{"tampered", Options{Secret: secret}, ident("channel", `"$pubsub"`, "signed_stream_name", quote(SignStream(secret, "chat/1")+"0")), want{status: rpcpb.Status_FAILURE}},
		{"signed wins over public", Options{Secret: secret, Public: true}, ident("channel", `"$pubsub"`, "stream_name", `"other"`, "signed_stream_name", signed), want{rpcpb.Status_SUCCESS, "chat/1", nil}},
		{"bad signed does not fall back to public", Options{Secret: secret, Public: true}, ident("channel", `"$pubsub"`, "stream_name", `"other"`, "signed_stream_name", `"x--y"`), want{status: rpcpb.Status_FAILURE}},
		{"custom channel name", Options{PubSubChannel: "streams", Secret: secret}, ident("channel", `"streams"`, "signed_stream_name", signed), want{rpcpb.Status_SUCCESS, "chat/1", nil}},
		{"signed name not a string", Options{Secret: secret}, ident("channel", `"$pubsub"`, "signed_stream_name", `42`), want{status: rpcpb.Status_ERROR}},
		{"extra params ignored", Options{Secret: secret}, ident("channel", `"$pubsub"`, "signed_stream_name", signed, "x", `{"y":[1]}`), want{rpcpb.Status_SUCCESS, "chat/1", nil}},
	}
	for _, c := range cases {
		check(t, c.name, c.id, newRouter(c.opts).Subscribe("sid", "", c.id, true), c.want)
	}
}

func TestPubSubPublic(t *testing.T) {
	id := ident("channel", `"$pubsub"`, "stream_name", `"chat/2"`)
	cases := []struct {
		name string
		opts Options
		id   string
		want want
	}{
		{"public: whisper and presence always", Options{Public: true}, id, want{rpcpb.Status_SUCCESS, "chat/2", wp("chat/2")}},
		{"not public", Options{Secret: secret, Whisper: true, Presence: true}, id, want{status: rpcpb.Status_FAILURE}},
		{"empty name", Options{Public: true}, ident("channel", `"$pubsub"`, "stream_name", `""`), want{status: rpcpb.Status_FAILURE}},
		{"null name", Options{Public: true}, ident("channel", `"$pubsub"`, "stream_name", `null`), want{status: rpcpb.Status_FAILURE}},
		{"no name", Options{Public: true}, ident("channel", `"$pubsub"`), want{status: rpcpb.Status_FAILURE}},
		{"empty signed falls back to public", Options{Public: true}, ident("channel", `"$pubsub"`, "signed_stream_name", `""`, "stream_name", `"chat/2"`), want{rpcpb.Status_SUCCESS, "chat/2", wp("chat/2")}},
		{"name not a string", Options{Public: true}, ident("channel", `"$pubsub"`, "stream_name", `["a"]`), want{status: rpcpb.Status_ERROR}},
		{"bad stream_name spoils signed", Options{Secret: secret, Public: true}, ident("channel", `"$pubsub"`, "stream_name", `1`, "signed_stream_name", quote(SignStream(secret, "a"))), want{status: rpcpb.Status_ERROR}},
		{"escaped identifier", Options{Public: true}, ident("channel", `"$pubsub"`, "stream_name", `"<a&b>"`), want{rpcpb.Status_SUCCESS, "<a&b>", wp("<a&b>")}},
	}
	for _, c := range cases {
		check(t, c.name, c.id, newRouter(c.opts).Subscribe("sid", "", c.id, true), c.want)
	}
}

func TestTurboStreams(t *testing.T) {
	signed := func(key string) string {
		return ident("channel", `"Turbo::StreamsChannel"`, "signed_stream_name", quote(SignStream(key, "gid://app/Room/1")))
	}
	cases := []struct {
		name string
		opts Options
		id   string
		want *want // nil: not handled here
	}{
		{"streams secret", Options{TurboStreams: true, Secret: secret}, signed(secret), &want{rpcpb.Status_SUCCESS, "gid://app/Room/1", nil}},
		{"own secret", Options{TurboStreams: true, Secret: secret, TurboSecret: "turbo"}, signed("turbo"), &want{rpcpb.Status_SUCCESS, "gid://app/Room/1", nil}},
		{"own secret, streams-signed name", Options{TurboStreams: true, Secret: secret, TurboSecret: "turbo"}, signed(secret), &want{status: rpcpb.Status_FAILURE}},
		{"whisper flag does not apply", Options{TurboStreams: true, Secret: secret, Whisper: true, Presence: true}, signed(secret), &want{rpcpb.Status_SUCCESS, "gid://app/Room/1", nil}},
		{"missing name", Options{TurboStreams: true, Secret: secret}, ident("channel", `"Turbo::StreamsChannel"`), &want{status: rpcpb.Status_FAILURE}},
		{"stream_name is not enough", Options{TurboStreams: true, Secret: secret, Public: true}, ident("channel", `"Turbo::StreamsChannel"`, "stream_name", `"x"`), &want{status: rpcpb.Status_FAILURE}},
		{"disabled", Options{Secret: secret}, signed(secret), nil},
		{"no secret", Options{TurboStreams: true}, signed(""), nil},
	}
	for _, c := range cases {
		res := newRouter(c.opts).Subscribe("sid", "", c.id, true)
		if c.want == nil {
			if res != nil {
				t.Errorf("%s: got %+v, want nil", c.name, res)
			}
			continue
		}
		check(t, c.name, c.id, res, *c.want)
	}
}

func TestCableReady(t *testing.T) {
	signed := func(key string) string {
		return ident("channel", `"CableReady::Stream"`, "identifier", quote(SignStream(key, "updates")))
	}
	cases := []struct {
		name string
		opts Options
		id   string
		want *want
	}{
		{"streams secret", Options{CableReady: true, Secret: secret}, signed(secret), &want{rpcpb.Status_SUCCESS, "updates", nil}},
		{"own secret", Options{CableReady: true, CableReadySecret: "cr"}, signed("cr"), &want{rpcpb.Status_SUCCESS, "updates", nil}},
		{"wrong secret", Options{CableReady: true, Secret: secret, CableReadySecret: "cr"}, signed(secret), &want{status: rpcpb.Status_FAILURE}},
		{"signed_stream_name is not read", Options{CableReady: true, Secret: secret}, ident("channel", `"CableReady::Stream"`, "signed_stream_name", quote(SignStream(secret, "updates"))), &want{status: rpcpb.Status_FAILURE}},
		{"identifier not a string", Options{CableReady: true, Secret: secret}, ident("channel", `"CableReady::Stream"`, "identifier", `{}`), &want{status: rpcpb.Status_ERROR}},
		{"disabled", Options{Secret: secret, TurboStreams: true}, signed(secret), nil},
		{"no secret", Options{CableReady: true}, signed(""), nil},
	}
	for _, c := range cases {
		res := newRouter(c.opts).Subscribe("sid", "", c.id, true)
		if c.want == nil {
			if res != nil {
				t.Errorf("%s: got %+v, want nil", c.name, res)
			}
			continue
		}
		check(t, c.name, c.id, res, *c.want)
	}
}

func TestNotRouted(t *testing.T) {
	r := newRouter(Options{Secret: secret, Public: true, TurboStreams: true, CableReady: true})
	for _, id := range []string{
		`{"channel":"ChatChannel","stream_name":"x"}`,
		`{"channel":"$pubsub2","stream_name":"x"}`,
		`{"stream_name":"x"}`,
		`{"channel":1,"stream_name":"x"}`,
		`not json`,
		`["$pubsub"]`,
		``,
		`{"channel":"$pubsub"`,
	} {
		if res := r.Subscribe("sid", "", id, true); res != nil {
			t.Errorf("%q: got %+v, want nil", id, res)
		}
	}
}

func TestDefaultPubSubChannel(t *testing.T) {
	r := newRouter(Options{Public: true, PubSubChannel: "custom"})
	if res := r.Subscribe("sid", "", `{"channel":"$pubsub","stream_name":"x"}`, true); res != nil {
		t.Fatalf("custom channel name still serves $pubsub: %+v", res)
	}
	id := `{"channel":"$pubsub","stream_name":"x"}`
	check(t, "default", id, newRouter(Options{Public: true}).Subscribe("sid", "", id, true), want{rpcpb.Status_SUCCESS, "x", wp("x")})
}

// quote JSON-encodes s the way the server does (HTML-escaped).
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// A listen-only subscriber (SSE) cannot whisper nor ask about presence:
// the confirmation carries no state for those, public or signed, and
// everything else is answered as for any client.
func TestListenOnlySubscriberGetsNoState(t *testing.T) {
	signedID := ident("channel", `"$pubsub"`, "signed_stream_name", quote(SignStream(secret, "chat/1")))
	publicID := ident("channel", `"$pubsub"`, "stream_name", `"chat/2"`)
	opts := Options{Secret: secret, Public: true, Whisper: true, Presence: true}
	cases := []struct {
		name string
		id   string
		want want
	}{
		{"signed", signedID, want{rpcpb.Status_SUCCESS, "chat/1", nil}},
		{"public", publicID, want{rpcpb.Status_SUCCESS, "chat/2", nil}},
		{"rejected all the same", ident("channel", `"$pubsub"`, "signed_stream_name", `"x--y"`), want{status: rpcpb.Status_FAILURE}},
	}
	for _, c := range cases {
		check(t, c.name, c.id, newRouter(opts).Subscribe("sid", "", c.id, false), c.want)
	}
	// The same router still gives an interactive client its state.
	check(t, "interactive", publicID, newRouter(opts).Subscribe("sid", "", publicID, true), want{rpcpb.Status_SUCCESS, "chat/2", wp("chat/2")})
}
