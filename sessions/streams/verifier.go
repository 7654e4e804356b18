package streams

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
)

// Errors of signed stream name verification.
var (
	ErrNoSecret  = errors.New("no secret to verify signed streams")
	ErrMalformed = errors.New("malformed signed stream name")
	ErrSignature = errors.New("invalid signed stream name signature")
	ErrNotString = errors.New("signed stream name does not hold a string")
)

// Verifier checks and makes signed stream names in the format of Rails'
// ActiveSupport::MessageVerifier with SHA256 and JSON (what AnyCable,
// Turbo and CableReady use):
//
//	base64std(JSON(stream)) + "--" + hex(HMAC-SHA256(secret, base64 part))
type Verifier struct {
	key []byte
}

// NewVerifier returns a verifier for secret. An empty secret verifies
// nothing.
func NewVerifier(secret string) *Verifier {
	return &Verifier{key: []byte(secret)}
}

// SignStream signs stream with secret.
func SignStream(secret, stream string) string {
	return NewVerifier(secret).Sign(stream)
}

// VerifyStream returns the stream name that signed carries if secret signed it.
func VerifyStream(secret, signed string) (string, error) {
	return NewVerifier(secret).Verify(signed)
}

// Sign returns the signed form of stream. The JSON is written without HTML
// escaping, as JSON.dump / JSON.stringify do, so names match other SDKs'.
func (v *Verifier) Sign(stream string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(stream) // a string always encodes
	data := base64.StdEncoding.EncodeToString(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	return data + "--" + v.digest(data)
}

// Verify checks signed and returns the stream name it holds. The digest is
// compared in constant time before anything is decoded.
func (v *Verifier) Verify(signed string) (string, error) {
	if len(v.key) == 0 {
		return "", ErrNoSecret
	}
	data, digest, ok := strings.Cut(signed, "--")
	if !ok || data == "" || digest == "" || strings.Contains(digest, "--") {
		return "", ErrMalformed
	}
	if subtle.ConstantTimeCompare([]byte(digest), []byte(v.digest(data))) != 1 {
		return "", ErrSignature
	}
	raw, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return "", ErrMalformed
	}
	var stream string
	if err := json.Unmarshal(raw, &stream); err != nil || !isJSONString(raw) {
		return "", ErrNotString
	}
	return stream, nil
}

// digest is the lower-case hex HMAC-SHA256 of data.
func (v *Verifier) digest(data string) string {
	mac := hmac.New(sha256.New, v.key)
	mac.Write([]byte(data))
	var sum [sha256.Size]byte
	return hex.EncodeToString(mac.Sum(sum[:0]))
}

// isJSONString tells a JSON string from null, which json.Unmarshal accepts
// into a string without error.
func isJSONString(raw []byte) bool {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	return len(raw) > 0 && raw[0] == '"'
}
