package pusher

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"
)

// MaxSkew is how far auth_timestamp may be from the server's clock, as
// Pusher allows (600 s either way).
const MaxSkew = 600 * time.Second

// Param is one query parameter, already URL-decoded.
type Param struct{ Key, Value string }

// Errors of request authentication; every one is answered with 401.
var (
	ErrMissingAuth   = errors.New("missing auth_key, auth_timestamp, auth_version or auth_signature")
	ErrWrongKey      = errors.New("unknown auth_key")
	ErrAuthVersion   = errors.New("auth_version must be 1.0")
	ErrStale         = errors.New("auth_timestamp is too far from the server time")
	ErrBodyMD5       = errors.New("body_md5 does not match the body")
	ErrBadSignature  = errors.New("invalid auth_signature")
	ErrDuplicateAuth = errors.New("an auth parameter is given twice")
)

// StringToSign is what the server SDKs sign: "METHOD\nPATH\nQUERY", where
// QUERY is every parameter but auth_signature, its key lower-cased, sorted
// by key and joined as key=value with '&' (values as they are, not
// re-encoded).
func StringToSign(method, path string, params []Param) string {
	kv := make([]Param, 0, len(params))
	for _, p := range params {
		k := strings.ToLower(p.Key)
		if k == "auth_signature" {
			continue
		}
		kv = append(kv, Param{k, p.Value})
	}
	sort.SliceStable(kv, func(i, j int) bool { return kv[i].Key < kv[j].Key })
	var b strings.Builder
	b.WriteString(strings.ToUpper(method))
	b.WriteByte('\n')
	b.WriteString(path)
	b.WriteByte('\n')
	for i, p := range kv {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.Key)
		b.WriteByte('=')
		b.WriteString(p.Value)
	}
	return b.String()
}

// Sign is the hex HMAC-SHA256 of s with secret (request and webhook
// signatures alike).
func Sign(secret string, s []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(s)
	return hex.EncodeToString(m.Sum(nil))
}

// Credentials are one app's key and secret.
type Credentials struct{ Key, Secret string }

// Verify checks a request's signature the way Pusher does: the auth
// parameters present once each, the app's key, version 1.0, a timestamp
// within MaxSkew of now, body_md5 equal to the body's MD5 when there is a
// body, and the signature (compared in constant time).
func (c Credentials) Verify(method, path string, params []Param, body []byte, now time.Time) error {
	var key, ts, version, sig, bodyMD5 string
	var seen [5]int
	for _, p := range params {
		var dst *string
		var i int
		switch strings.ToLower(p.Key) {
		case "auth_key":
			dst, i = &key, 0
		case "auth_timestamp":
			dst, i = &ts, 1
		case "auth_version":
			dst, i = &version, 2
		case "auth_signature":
			dst, i = &sig, 3
		case "body_md5":
			dst, i = &bodyMD5, 4
		default:
			continue
		}
		seen[i]++
		if seen[i] > 1 {
			return ErrDuplicateAuth
		}
		*dst = p.Value
	}
	if key == "" || ts == "" || version == "" || sig == "" {
		return ErrMissingAuth
	}
	if subtle.ConstantTimeCompare([]byte(key), []byte(c.Key)) != 1 {
		return ErrWrongKey
	}
	if version != "1.0" {
		return ErrAuthVersion
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrStale
	}
	if d := now.Sub(time.Unix(sec, 0)); d > MaxSkew || d < -MaxSkew {
		return ErrStale
	}
	if len(body) > 0 || bodyMD5 != "" {
		sum := md5.Sum(body)
		if subtle.ConstantTimeCompare([]byte(strings.ToLower(bodyMD5)), []byte(hex.EncodeToString(sum[:]))) != 1 {
			return ErrBodyMD5
		}
	}
	want := Sign(c.Secret, []byte(StringToSign(method, path, params)))
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(sig)), []byte(want)) != 1 {
		return ErrBadSignature
	}
	return nil
}
