package identity

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestVerifyTokenAlgorithms(t *testing.T) {
	claims := `{"ext":"{\"user_id\":42}"}`
	for _, alg := range []string{"HS256", "HS384", "HS512"} {
		tok := signToken(t, alg, testSecret, `{"alg":"`+alg+`"}`, claims)
		ext, err := verifyToken(tok, []byte(testSecret), testNow)
		if err != nil || ext != `{"user_id":42}` {
			t.Errorf("%s: got %q, %v", alg, ext, err)
		}
	}
}

// A token made by Python's hmac/base64/json modules (not by our helper).
func TestVerifyTokenExternalVector(t *testing.T) {
	const tok = "eyJhbGciOiAiSFMyNTYiLCAidHlwIjogIkpXVCJ9.eyJleHQiOiAie1widXNlcl9pZFwiOiA0Mn0iLCAiZXhwIjogNDEwMjQ0NDgwMH0.AC3ak0bKo-nyaNZlgBTmmspyCFONuh5Pvobe7ODa1MQ"
	ext, err := verifyToken(tok, []byte("qwerty"), testNow)
	if err != nil || ext != `{"user_id": 42}` {
		t.Fatalf("got %q, %v", ext, err)
	}
	if _, err := verifyToken(tok, []byte("qwertz"), testNow); !errors.Is(err, errInvalid) {
		t.Fatalf("wrong secret: %v", err)
	}
}

func TestVerifyTokenRejects(t *testing.T) {
	good := hs256(t, `{"ext":"x"}`)
	parts := strings.Split(good, ".")
	hsSigned := func(header string) string { return signToken(t, "HS256", testSecret, header, `{"ext":"x"}`) }
	cases := map[string]string{
		"wrong secret":      signToken(t, "HS256", "other", `{"alg":"HS256"}`, `{"ext":"x"}`),
		"alg none":          b64(`{"alg":"none"}`) + "." + b64(`{"ext":"x"}`) + ".",
		"alg none signed":   hsSigned(`{"alg":"none"}`),
		"RS256 header":      hsSigned(`{"alg":"RS256"}`),
		"ES256 header":      hsSigned(`{"alg":"ES256"}`),
		"lower-case alg":    hsSigned(`{"alg":"hs256"}`),
		"alg not a string":  hsSigned(`{"alg":256}`),
		"no alg":            hsSigned(`{"typ":"JWT"}`),
		"header not object": hsSigned(`["HS256"]`),
		"header null":       hsSigned(`null`),
		"alg mismatch":      signToken(t, "HS512", testSecret, `{"alg":"HS256"}`, `{"ext":"x"}`),
		"truncated sig":     good[:len(good)-3],
		"no signature":      parts[0] + "." + parts[1],
		"empty signature":   parts[0] + "." + parts[1] + ".",
		"extra segment":     good + ".abc",
		"one segment":       parts[0],
		"empty":             "",
		"dots only":         "..",
		"garbage base64":    parts[0] + "." + parts[1] + ".!!!not-base64!!!",
		"padded signature":  good + "=",
		"garbage header":    "%%%." + parts[1] + "." + parts[2],
		"tampered claims":   parts[0] + "." + b64(`{"ext":"admin"}`) + "." + parts[2],
		"claims not json":   signToken(t, "HS256", testSecret, `{"alg":"HS256"}`, `{"ext":`),
		"claims array":      signToken(t, "HS256", testSecret, `{"alg":"HS256"}`, `["ext"]`),
		"trailing garbage":  signToken(t, "HS256", testSecret, `{"alg":"HS256"}`, `{"ext":"x"} x`),
		"exp wrong type":    hs256(t, `{"ext":"x","exp":"4102444800"}`),
		"exp null":          hs256(t, `{"ext":"x","exp":null}`),
		"nbf wrong type":    hs256(t, `{"ext":"x","nbf":true}`),
		"nbf in the future": hs256(t, `{"ext":"x","nbf":`+strconv.FormatInt(testNow.Unix()+60, 10)+`}`),
		"expired, bad sig":  signToken(t, "HS256", "other", `{"alg":"HS256"}`, `{"ext":"x","exp":1}`),
	}
	for name, tok := range cases {
		if ext, err := verifyToken(tok, []byte(testSecret), testNow); !errors.Is(err, errInvalid) {
			t.Errorf("%s: got %q, %v; want errInvalid", name, ext, err)
		}
	}
}

func TestVerifyTokenTimes(t *testing.T) {
	now := testNow.Unix()
	cases := []struct {
		name   string
		claims string
		want   error
	}{
		{"no exp", `{"ext":"x"}`, nil},
		{"exp in the future", `{"ext":"x","exp":` + strconv.FormatInt(now+1, 10) + `}`, nil},
		{"exp now", `{"ext":"x","exp":` + strconv.FormatInt(now, 10) + `}`, errExpired},
		{"exp past", `{"ext":"x","exp":` + strconv.FormatInt(now-3600, 10) + `}`, errExpired},
		{"exp fraction truncated", `{"ext":"x","exp":` + strconv.FormatInt(now, 10) + `.9}`, errExpired},
		{"exp zero means unset", `{"ext":"x","exp":0}`, nil},
		{"exp negative", `{"ext":"x","exp":-5}`, errExpired},
		{"exp huge", `{"ext":"x","exp":1e300}`, nil},
		{"exp too big for float", `{"ext":"x","exp":1e400}`, errInvalid},
		{"expired and nbf future", `{"ext":"x","exp":1,"nbf":` + strconv.FormatInt(now+60, 10) + `}`, errExpired},
		{"expired and nbf bad", `{"ext":"x","exp":1,"nbf":"soon"}`, errExpired},
		{"nbf now", `{"ext":"x","nbf":` + strconv.FormatInt(now, 10) + `}`, nil},
		{"nbf past", `{"ext":"x","nbf":1}`, nil},
		{"nbf future", `{"ext":"x","nbf":` + strconv.FormatInt(now+1, 10) + `}`, errInvalid},
		{"iat in the future is ignored", `{"ext":"x","iat":` + strconv.FormatInt(now+3600, 10) + `}`, nil},
		{"iat wrong type is ignored", `{"ext":"x","iat":"later"}`, nil},
		{"expired without ext", `{"exp":1}`, errExpired},
	}
	for _, c := range cases {
		_, err := verifyToken(hs256(t, c.claims), []byte(testSecret), testNow)
		if !errors.Is(err, c.want) || (c.want == nil && err != nil) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}

func TestVerifyTokenExt(t *testing.T) {
	cases := []struct {
		claims string
		ext    string
		err    error
	}{
		{`{"ext":"{\"user\":\"gid://app/User/1\"}"}`, `{"user":"gid://app/User/1"}`, nil},
		{`{"ext":""}`, "", nil},
		{`{"ext":"a","ext":"b"}`, "b", nil},
		{`{}`, "", errNoExt},
		{`null`, "", errNoExt},
		{`{"ext":{"user_id":42}}`, "", errNoExt},
		{`{"ext":42}`, "", errNoExt},
		{`{"ext":null}`, "", errNoExt},
		{`{"EXT":"x"}`, "", errNoExt},
	}
	for _, c := range cases {
		ext, err := verifyToken(hs256(t, c.claims), []byte(testSecret), testNow)
		if ext != c.ext || !errors.Is(err, c.err) || (c.err == nil && err != nil) {
			t.Errorf("%s: got %q, %v; want %q, %v", c.claims, ext, err, c.ext, c.err)
		}
	}
}
