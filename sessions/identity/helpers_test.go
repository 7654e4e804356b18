package identity

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"hash"
	"io"
	"log/slog"
	"testing"
	"time"
)

// testNow is the fixed clock of the tests: 2030-01-01T00:00:00Z.
var testNow = time.Unix(1893456000, 0)

const testSecret = "qwerty"

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// signToken makes a compact JWS from raw header and claims JSON, signed with
// HMAC using the hash named by alg (HS256/384/512; anything else gets an
// HS256 signature so only the alg check can reject it).
func signToken(t testing.TB, alg, secret, header, claims string) string {
	t.Helper()
	var h func() hash.Hash
	switch alg {
	case "HS384":
		h = sha512.New384
	case "HS512":
		h = sha512.New
	default:
		h = sha256.New
	}
	input := b64(header) + "." + b64(claims)
	mac := hmac.New(h, []byte(secret))
	mac.Write([]byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// hs256 signs claims with the test secret.
func hs256(t testing.TB, claims string) string {
	return signToken(t, "HS256", testSecret, `{"alg":"HS256","typ":"JWT"}`, claims)
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newTestJWT(opts JWTOptions) *JWT {
	if opts.Secret == "" {
		opts.Secret = testSecret
	}
	opts.Now = func() time.Time { return testNow }
	return NewJWT(opts, quietLog())
}
