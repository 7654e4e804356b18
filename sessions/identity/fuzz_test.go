package identity

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"hash"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/sessions"
)

// FuzzJWT feeds arbitrary tokens through the whole authenticator. Whatever
// the input, it must not panic, and it may only accept a token whose
// signature really is the HMAC of its first two segments under the secret
// with an HS* algorithm.
func FuzzJWT(f *testing.F) {
	f.Add(hs256(f, `{"ext":"x"}`))
	f.Add(hs256(f, `{"ext":"x","exp":1}`))
	f.Add(hs256(f, `{"ext":"x","nbf":9e18,"exp":"1"}`))
	f.Add(hs256(f, `{"ext":{}}`))
	f.Add(signToken(f, "HS512", testSecret, `{"alg":"HS512"}`, `{"ext":"y"}`))
	f.Add(signToken(f, "HS384", testSecret, `{"alg":"HS384"}`, `null`))
	f.Add(b64(`{"alg":"none"}`) + "." + b64(`{"ext":"x"}`) + ".")
	f.Add("a.b.c")
	f.Add("..")
	f.Add("")
	j := newTestJWT(JWTOptions{Enforce: true})
	f.Fuzz(func(t *testing.T, raw string) {
		res := j.Authenticate("sid", &frames.Request{URI: "/cable", Token: raw})
		if raw == "" {
			if res.Outcome != sessions.AuthReject {
				t.Fatalf("empty token with enforce: %+v", res)
			}
			return
		}
		if res.Outcome == sessions.AuthReject && res.Reason != ReasonUnauthorized && res.Reason != ReasonExpired {
			t.Fatalf("unknown reason %q", res.Reason)
		}
		if res.Outcome == sessions.AuthOK || res.Outcome == sessions.AuthError || res.Reason == ReasonExpired {
			if !independentlySigned(raw) {
				t.Fatalf("accepted a token with a bad signature: %q -> %+v", raw, res)
			}
		}
	})
}

// independentlySigned re-checks a token's signature without verifyToken.
func independentlySigned(raw string) bool {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return false
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return false
	}
	var hdr map[string]any
	if json.Unmarshal(hb, &hdr) != nil {
		return false
	}
	var h func() hash.Hash
	switch hdr["alg"] {
	case "HS256":
		h = sha256.New
	case "HS384":
		h = sha512.New384
	case "HS512":
		h = sha512.New
	default:
		return false
	}
	mac := hmac.New(h, []byte(testSecret))
	mac.Write([]byte(parts[0] + "." + parts[1]))
	got, err := base64.RawURLEncoding.DecodeString(parts[2])
	return err == nil && hmac.Equal(got, mac.Sum(nil))
}

// FuzzJWTRoundTrip signs arbitrary ext values and checks they come back.
func FuzzJWTRoundTrip(f *testing.F) {
	f.Add(`{"user_id":42}`)
	f.Add("")
	f.Add("\u2028<&>\"\\")
	j := newTestJWT(JWTOptions{})
	f.Fuzz(func(t *testing.T, ext string) {
		if !utf8.ValidString(ext) {
			return
		}
		claims, _ := json.Marshal(map[string]string{"ext": ext})
		res := j.Authenticate("sid", &frames.Request{Token: hs256(t, string(claims))})
		if res.Outcome != sessions.AuthOK || res.Identifiers != ext {
			t.Fatalf("ext %q: got %+v", ext, res)
		}
	})
}
