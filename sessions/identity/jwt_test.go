package identity

import (
	"net/url"
	"strconv"
	"testing"

	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/sessions"
)

func TestTokenHeader(t *testing.T) {
	if got := TokenHeader("jid"); got != "x-jid" {
		t.Fatalf("got %q", got)
	}
	if got := TokenHeader("Token"); got != "x-token" {
		t.Fatalf("got %q", got)
	}
}

func TestAuthenticateSources(t *testing.T) {
	alice := hs256(t, `{"ext":"alice"}`)
	bob := hs256(t, `{"ext":"bob"}`)
	cases := []struct {
		name  string
		param string
		req   frames.Request
		want  string // identifiers; "" means AuthSkip
	}{
		{"query", "", frames.Request{URI: "/cable?jid=" + alice}, "alice"},
		{"query, first value", "", frames.Request{URI: "/cable?jid=" + alice + "&jid=" + bob}, "alice"},
		{"query, escaped", "", frames.Request{URI: "/cable?jid=" + url.QueryEscape(alice)}, "alice"},
		{"query, fragment cut", "", frames.Request{URI: "/cable?jid=" + alice + "#x"}, "alice"},
		{"header", "", frames.Request{URI: "/cable", Headers: []frames.Header{{Key: "x-jid", Value: alice}}}, "alice"},
		{"sub-protocol", "", frames.Request{URI: "/cable", Token: alice}, "alice"},
		{"header beats sub-protocol", "", frames.Request{URI: "/cable", Token: bob, Headers: []frames.Header{{Key: "x-jid", Value: alice}}}, "alice"},
		{"header beats query", "", frames.Request{URI: "/cable?jid=" + bob, Headers: []frames.Header{{Key: "x-jid", Value: alice}}}, "alice"},
		{"sub-protocol beats query", "", frames.Request{URI: "/cable?jid=" + bob, Token: alice}, "alice"},
		{"custom param, query", "token", frames.Request{URI: "/cable?jid=" + bob + "&token=" + alice}, "alice"},
		{"custom param, header", "Token", frames.Request{URI: "/cable", Headers: []frames.Header{{Key: "x-jid", Value: bob}, {Key: "x-token", Value: alice}}}, "alice"},
		{"no token", "", frames.Request{URI: "/cable?other=" + alice}, ""},
		{"empty query value", "", frames.Request{URI: "/cable?jid="}, ""},
		// A present header wins even when empty, so the query is not read.
		{"empty header hides query", "", frames.Request{URI: "/cable?jid=" + alice, Headers: []frames.Header{{Key: "x-jid"}}}, ""},
		// A malformed query is ignored as a whole.
		{"malformed query", "", frames.Request{URI: "/cable?jid=" + alice + "&x=%zz"}, ""},
	}
	for _, c := range cases {
		j := newTestJWT(JWTOptions{Param: c.param})
		res := j.Authenticate("sid1", &c.req)
		if c.want == "" {
			if res.Outcome != sessions.AuthSkip {
				t.Errorf("%s: got %+v, want skip", c.name, res)
			}
			continue
		}
		if res.Outcome != sessions.AuthOK || res.Identifiers != c.want {
			t.Errorf("%s: got %+v, want OK %q", c.name, res, c.want)
		}
	}
}

func TestAuthenticateOutcomes(t *testing.T) {
	past := strconv.FormatInt(testNow.Unix()-10, 10)
	cases := []struct {
		name    string
		token   string
		enforce bool
		want    sessions.AuthResult
	}{
		{"valid", hs256(t, `{"ext":"{\"id\":1}"}`), false, sessions.AuthResult{Outcome: sessions.AuthOK, Identifiers: `{"id":1}`}},
		{"wrong secret", signToken(t, "HS256", "nope", `{"alg":"HS256"}`, `{"ext":"x"}`), false, sessions.AuthResult{Outcome: sessions.AuthReject, Reason: "unauthorized"}},
		{"garbage", "not-a-token", false, sessions.AuthResult{Outcome: sessions.AuthReject, Reason: "unauthorized"}},
		{"expired", hs256(t, `{"ext":"x","exp":`+past+`}`), false, sessions.AuthResult{Outcome: sessions.AuthReject, Reason: "token_expired"}},
		{"no ext", hs256(t, `{"sub":"x"}`), false, sessions.AuthResult{Outcome: sessions.AuthError}},
		{"ext object", hs256(t, `{"ext":{"id":1}}`), false, sessions.AuthResult{Outcome: sessions.AuthError}},
		{"missing, not enforced", "", false, sessions.AuthResult{Outcome: sessions.AuthSkip}},
		{"missing, enforced", "", true, sessions.AuthResult{Outcome: sessions.AuthReject, Reason: "unauthorized"}},
		{"valid, enforced", hs256(t, `{"ext":"x"}`), true, sessions.AuthResult{Outcome: sessions.AuthOK, Identifiers: "x"}},
	}
	for _, c := range cases {
		j := newTestJWT(JWTOptions{Enforce: c.enforce})
		req := &frames.Request{URI: "/cable", Token: c.token}
		if got := j.Authenticate("sid1", req); got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestAuthenticateDisabled(t *testing.T) {
	j := NewJWT(JWTOptions{Enforce: true}, quietLog())
	if j.Enabled() {
		t.Fatal("enabled without a secret")
	}
	req := &frames.Request{URI: "/cable?jid=whatever"}
	if got := j.Authenticate("sid1", req); got.Outcome != sessions.AuthSkip {
		t.Fatalf("got %+v, want skip", got)
	}
	if got := j.Authenticate("sid1", &frames.Request{URI: "/cable"}); got.Outcome != sessions.AuthSkip {
		t.Fatalf("enforce without secret: got %+v, want skip", got)
	}
}

func TestAuthenticateRealClock(t *testing.T) {
	// NewJWT without Now uses the wall clock: a token that expired in 2001
	// is expired, one that expires in 2100 is not.
	j := NewJWT(JWTOptions{Secret: testSecret}, nil)
	old := hs256(t, `{"ext":"x","exp":1000000000}`)
	if got := j.Authenticate("s", &frames.Request{Token: old}); got.Reason != ReasonExpired {
		t.Fatalf("got %+v", got)
	}
	fresh := hs256(t, `{"ext":"x","exp":4102444800}`)
	if got := j.Authenticate("s", &frames.Request{Token: fresh}); got.Outcome != sessions.AuthOK {
		t.Fatalf("got %+v", got)
	}
}

func TestAuthenticateNilRequest(t *testing.T) {
	j := newTestJWT(JWTOptions{})
	if got := j.Authenticate("s", nil); got.Outcome != sessions.AuthSkip {
		t.Fatalf("got %+v", got)
	}
}
