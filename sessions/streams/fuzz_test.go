package streams

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/densecable/densecable/rpcclient/rpcpb"
)

// FuzzVerify: arbitrary signed names never panic, and a name is accepted
// only if its digest is the HMAC of its data part. Signing any valid UTF-8
// stream name and verifying it gives the name back.
func FuzzVerify(f *testing.F) {
	for _, v := range nodeVectors {
		f.Add(v, "chat/1")
	}
	f.Add(forge("s3cr3t", "null"), "")
	f.Add("a--b--c", "x--y")
	f.Add("--", "\u2028<>")
	f.Add("ImNoYXQvNDIi---ed3f", "")
	v := NewVerifier("s3cr3t")
	f.Fuzz(func(t *testing.T, signed, stream string) {
		if got, err := v.Verify(signed); err == nil {
			data, digest, _ := strings.Cut(signed, "--")
			mac := hmac.New(sha256.New, []byte("s3cr3t"))
			mac.Write([]byte(data))
			if digest != hex.EncodeToString(mac.Sum(nil)) {
				t.Fatalf("accepted %q as %q with a wrong digest", signed, got)
			}
		} else if got != "" {
			t.Fatalf("error %v with stream %q", err, got)
		}
		if !utf8.ValidString(stream) {
			return
		}
		got, err := v.Verify(v.Sign(stream))
		if err != nil || got != stream {
			t.Fatalf("round trip of %q: got %q, %v", stream, got, err)
		}
	})
}

// FuzzSubscribe: arbitrary identifiers never panic and the answer is
// well-formed: nil, a confirmation with one stream, a rejection, or an
// error with nothing to send; a listen-only subscriber gets the same
// answer without channel state.
func FuzzSubscribe(f *testing.F) {
	f.Add(`{"channel":"$pubsub","stream_name":"a"}`)
	f.Add(`{"channel":"$pubsub","signed_stream_name":"` + nodeVectors["chat/42"] + `"}`)
	f.Add(`{"channel":"Turbo::StreamsChannel","signed_stream_name":"x--y"}`)
	f.Add(`{"channel":"CableReady::Stream","identifier":null}`)
	f.Add(`{"channel":"$pubsub","stream_name":1}`)
	f.Add(`[]`)
	r := newRouter(Options{Secret: "s3cr3t", Public: true, TurboStreams: true, CableReady: true, Presence: true})
	f.Fuzz(func(t *testing.T, identifier string) {
		res := r.Subscribe("sid", "", identifier, true)
		listener := r.Subscribe("sid", "", identifier, false)
		if (res == nil) != (listener == nil) {
			t.Fatalf("interactive %+v, listen-only %+v", res, listener)
		}
		if res == nil {
			return
		}
		if listener.GetEnv() != nil || listener.GetStatus() != res.GetStatus() ||
			!slices.Equal(listener.GetStreams(), res.GetStreams()) || !slices.Equal(listener.GetTransmissions(), res.GetTransmissions()) {
			t.Fatalf("listen-only %+v, want %+v without state", listener, res)
		}
		switch res.GetStatus() {
		case rpcpb.Status_SUCCESS:
			if len(res.GetStreams()) != 1 || len(res.GetTransmissions()) != 1 ||
				res.GetTransmissions()[0] != `{"type":"confirm_subscription","identifier":`+quote(identifier)+`}` {
				t.Fatalf("bad confirmation %+v", res)
			}
		case rpcpb.Status_FAILURE:
			if len(res.GetStreams()) != 0 || len(res.GetTransmissions()) != 1 ||
				res.GetTransmissions()[0] != `{"type":"reject_subscription","identifier":`+quote(identifier)+`}` {
				t.Fatalf("bad rejection %+v", res)
			}
		default:
			if len(res.GetTransmissions()) != 0 || len(res.GetStreams()) != 0 {
				t.Fatalf("error with output %+v", res)
			}
		}
	})
}

// FuzzMayServe: an identifier the quick check passes by is one the router
// would not serve anyway (decoding it routes nowhere).
func FuzzMayServe(f *testing.F) {
	f.Add(`{"channel":"BenchmarkChannel"}`)
	f.Add(`{"channel":"$pubsub","stream_name":"chat"}`)
	f.Add(`{"channel":"\u0024pubsub","stream_name":"chat"}`)
	f.Add(`{"CHANNEL":"Turbo::StreamsChannel","signed_stream_name":"x--y"}`)
	f.Add(`{"channel":"CableReady::Stream","identifier":"x--y"}`)
	r := newRouter(Options{Secret: "s3cr3t", Public: true, TurboStreams: true, CableReady: true})
	f.Fuzz(func(t *testing.T, identifier string) {
		if r.mayServe(identifier) {
			return
		}
		if res := r.route("sid", identifier, true); res != nil {
			t.Fatalf("skipped %q, which routes to %v", identifier, res)
		}
	})
}
