package identity

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"hash"
	"strings"
	"time"
)

// Token verification outcomes. The rules mirror golang-jwt v5 with the
// options anycable-go uses (HMAC only, no leeway, iat not checked), so the
// same tokens get the same answers.
var (
	errInvalid = errors.New("invalid token")
	errExpired = errors.New("token expired")
	errNoExt   = errors.New("token has no string ext claim")
)

// hmacHash maps the accepted JWS algorithms to their hash; every other alg
// (none, RS256, ES256, ...) is invalid.
func hmacHash(alg string) func() hash.Hash {
	switch alg {
	case "HS256":
		return sha256.New
	case "HS384":
		return sha512.New384
	case "HS512":
		return sha512.New
	}
	return nil
}

// verifyToken checks raw (a compact JWS) against key at now and returns the
// ext claim. The signature is checked before the claims, so an expired token
// with a bad signature is errInvalid, not errExpired.
func verifyToken(raw string, key []byte, now time.Time) (string, error) {
	dot1 := strings.IndexByte(raw, '.')
	if dot1 < 0 {
		return "", errInvalid
	}
	dot2 := dot1 + 1 + strings.IndexByte(raw[dot1+1:], '.')
	if dot2 <= dot1 || strings.IndexByte(raw[dot2+1:], '.') >= 0 {
		return "", errInvalid
	}
	head, body, sig := raw[:dot1], raw[dot1+1:dot2], raw[dot2+1:]

	alg, err := headerAlg(head)
	if err != nil {
		return "", err
	}
	newHash := hmacHash(alg)
	if newHash == nil {
		return "", errInvalid
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		return "", errInvalid
	}
	mac := hmac.New(newHash, key)
	mac.Write([]byte(raw[:dot2]))
	if !hmac.Equal(got, mac.Sum(nil)) {
		return "", errInvalid
	}

	claims, err := decodeObject(body)
	if err != nil {
		return "", err
	}
	if err := checkTimes(claims, now); err != nil {
		return "", err
	}
	ext, ok := claims["ext"].(string)
	if !ok {
		return "", errNoExt
	}
	return ext, nil
}

// headerAlg decodes the JOSE header and returns its alg, which must be a
// string.
func headerAlg(seg string) (string, error) {
	hdr, err := decodeObject(seg)
	if err != nil {
		return "", err
	}
	alg, ok := hdr["alg"].(string)
	if !ok {
		return "", errInvalid
	}
	return alg, nil
}

// decodeObject decodes one base64url (unpadded) segment holding a JSON
// object. A JSON null yields an empty map, as golang-jwt's MapClaims does.
func decodeObject(seg string) (map[string]any, error) {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return nil, errInvalid
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, errInvalid
	}
	return m, nil
}
