package natsstore

import (
	"strings"
	"testing"
)

// FuzzToken checks that any pair of outside strings (stream names, sids,
// presence ids) gives valid, distinct subject tokens and KV key parts.
func FuzzToken(f *testing.F) {
	f.Add("chat/1", "chat/2")
	f.Add("", "b")
	f.Add("a.b *>", "a.b")
	f.Add(strings.Repeat("x", 181), strings.Repeat("x", 180))
	f.Add("é\x00\xff", "$JS.API")
	f.Fuzz(func(t *testing.T, a, b string) {
		ta, tb := token(a), token(b)
		for _, tok := range []string{ta, tb} {
			if tok == "" || strings.ContainsAny(tok, ".*> \t\r\n") || len(tok) > 1+4*(maxPlainToken+2)/3 {
				t.Fatalf("token %q is not one short subject token", tok)
			}
			for _, c := range tok {
				if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
					t.Fatalf("token %q has %q, not allowed in KV keys", tok, c)
				}
			}
		}
		if (a == b) != (ta == tb) {
			t.Fatalf("token(%q) = %q, token(%q) = %q", a, ta, b, tb)
		}
	})
}

func TestNames(t *testing.T) {
	n, err := newNames("dc_1")
	if err != nil {
		t.Fatal(err)
	}
	if n.history != "dc_1_history" || n.sessions != "dc_1_sessions" || n.state != "dc_1_state" ||
		n.historySubject("chat") != "dc_1.history.bY2hhdA" {
		t.Fatalf("names %+v, subject %s", n, n.historySubject("chat"))
	}
	if presenceKey("room", "u1") != "p.bcm9vbQ.bdTE" || !strings.HasPrefix(presenceFilter("room"), "p.bcm9vbQ.") {
		t.Fatalf("presence key %s", presenceKey("room", "u1"))
	}
	for _, bad := range []string{"", "a.b", "a b", "a*", strings.Repeat("a", 33)} {
		if _, err := newNames(bad); err == nil {
			t.Errorf("prefix %q accepted", bad)
		}
	}
}
