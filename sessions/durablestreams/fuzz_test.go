package durablestreams

import (
	"strings"
	"testing"

	"github.com/densecable/densecable/frames"
)

// FuzzOffset: a parsed token formats back to a token that parses to the
// same position (round trip); an accepted epoch is printable and bounded.
func FuzzOffset(f *testing.F) {
	for _, s := range []string{"", "-1", "0", "now", "5::abcd", "5", "x::y", "18446744073709551616::e", "1::", "::e", "1::a::b", "+1::e", "01::e", "1::\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parseOffset(s)
		if err != nil {
			return
		}
		if p.start || p.now {
			return
		}
		if p.epoch != "" && !validEpoch(p.epoch) {
			t.Fatalf("%q: accepted epoch %q", s, p.epoch)
		}
		tok := formatOffset(p.offset, p.epoch)
		if p.epoch == "" {
			return // "<n>" without an epoch has no token of its own (410)
		}
		q, err := parseOffset(tok)
		if err != nil || q != p {
			t.Fatalf("%q → %+v → %q → %+v, %v", s, p, tok, q, err)
		}
	})
}

// FuzzParams: whatever the URI and X-Signed header, an accepted request
// names a bounded stream without control line breaks, a known live mode,
// and an offset for any live mode.
func FuzzParams(f *testing.F) {
	f.Add("/ds/chat?offset=-1", "")
	f.Add("/ds/a%2Fb?offset=1::e&live=sse", "tok")
	f.Add("/ds/%zz?offset=-1", "")
	f.Add("/ds/x?live=long-poll", "")
	f.Fuzz(func(t *testing.T, uri, signed string) {
		req := &frames.Request{URI: uri}
		if signed != "" {
			req.Headers = []frames.Header{{Key: "x-signed", Value: signed}}
		}
		p, err := parseParams("/ds", req)
		if err != nil {
			return
		}
		if p.stream == "" || len(p.stream) > maxStreamLen || strings.ContainsAny(p.stream, "\x00\r\n") {
			t.Fatalf("%q: stream %q", uri, p.stream)
		}
		if p.live != liveNone && p.live != liveLongPoll && p.live != liveSSE {
			t.Fatalf("%q: live %q", uri, p.live)
		}
		if p.live != liveNone && p.raw == "" {
			t.Fatalf("%q: live without offset", uri)
		}
		if _, err := parseOffset(p.raw); err != nil {
			t.Fatalf("%q: offset %q accepted by params, not by parseOffset", uri, p.raw)
		}
	})
}
