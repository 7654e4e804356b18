package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// jwtHS256 makes a JWT signed with HMAC-SHA256 whose ext claim holds the
// JSON-encoded connection identifiers (docs/anycable-go/jwt_identification.md).
func jwtHS256(t *testing.T, secret string, identifiers map[string]string, exp time.Time) string {
	t.Helper()
	ext, err := json.Marshal(identifiers)
	if err != nil {
		t.Fatal(err)
	}
	claims, err := json.Marshal(map[string]any{"ext": string(ext), "exp": exp.Unix()})
	if err != nil {
		t.Fatal(err)
	}
	unsigned := b64url([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + b64url(claims)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(unsigned))
	return unsigned + "." + b64url(mac.Sum(nil))
}

// jwtNone is an unsigned token (alg "none") that a server must refuse.
func jwtNone(t *testing.T, identifiers map[string]string) string {
	t.Helper()
	ext, _ := json.Marshal(identifiers)
	claims, _ := json.Marshal(map[string]any{"ext": string(ext), "exp": time.Now().Add(time.Hour).Unix()})
	return b64url([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + b64url(claims) + "."
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// signedStream signs a stream name as docs/anycable-go/signed_streams.md
// says: base64(JSON(name)) + "--" + hex(HMAC-SHA256(secret, base64 part)).
func signedStream(t *testing.T, secret, name string) string {
	t.Helper()
	js, err := json.Marshal(name)
	if err != nil {
		t.Fatal(err)
	}
	encoded := base64.StdEncoding.EncodeToString(js)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(encoded))
	return encoded + "--" + hex.EncodeToString(mac.Sum(nil))
}

// tamper changes the last character of a signed name's digest.
func tamper(signed string) string {
	last := signed[len(signed)-1]
	repl := "0"
	if last == '0' {
		repl = "1"
	}
	return strings.TrimSuffix(signed, string(last)) + repl
}

// derivedKey is how densecable (like anycable-go) derives a secret from the
// application secret: lowercase hex HMAC-SHA256(secret, purpose), e.g.
// purpose "broadcast-cable" for the HTTP broadcast key.
func derivedKey(secret, purpose string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(purpose))
	return hex.EncodeToString(mac.Sum(nil))
}
