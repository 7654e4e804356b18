package pusher

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// refStringToSign is an independent statement of the signing rule: an
// insertion sort of "key=value" pairs by lower-cased key (stable),
// auth_signature left out.
func refStringToSign(method, path string, params []Param) string {
	var keys, vals []string
	for _, p := range params {
		k := strings.ToLower(p.Key)
		if k == "auth_signature" {
			continue
		}
		i := len(keys)
		for i > 0 && keys[i-1] > k {
			i--
		}
		keys = append(keys[:i], append([]string{k}, keys[i:]...)...)
		vals = append(vals[:i], append([]string{p.Value}, vals[i:]...)...)
	}
	pairs := make([]string, len(keys))
	for i := range keys {
		pairs[i] = keys[i] + "=" + vals[i]
	}
	return strings.ToUpper(method) + "\n" + path + "\n" + strings.Join(pairs, "&")
}

// Any query string, parsed as the server parses it: the string signed
// agrees with the reference; a request signed with the reference's string
// is accepted (unless the query itself carries auth parameters), and the
// same request with one signature digit changed is refused.
func FuzzVerify(f *testing.F) {
	f.Add("GET", "/apps/1/channels", "filter_by_prefix=presence-&info=user_count")
	f.Add("POST", "/apps/1/events", "")
	f.Add("GET", "/apps/1/channels/x/users", "a=1&A=2&b=%26&=&c")
	f.Add("GET", "/", "auth_key=k&auth_key=k")
	f.Fuzz(func(t *testing.T, method, path, query string) {
		var args fasthttp.Args
		args.Parse(query)
		var params []Param
		args.VisitAll(func(k, v []byte) { params = append(params, Param{string(k), string(v)}) })
		if got, want := StringToSign(method, path, params), refStringToSign(method, path, params); got != want {
			t.Fatalf("StringToSign = %q, reference %q", got, want)
		}
		hasAuth := false
		for _, p := range params {
			k := strings.ToLower(p.Key)
			hasAuth = hasAuth || strings.HasPrefix(k, "auth_") || k == "body_md5"
		}
		c := Credentials{Key: "key", Secret: "secret"}
		now := time.Unix(1700000000, 0)
		signed := append(append([]Param(nil), params...), Param{"auth_key", "key"}, Param{"auth_timestamp", strconv.FormatInt(now.Unix(), 10)}, Param{"auth_version", "1.0"})
		sig := Sign(c.Secret, []byte(refStringToSign(method, path, signed)))
		err := c.Verify(method, path, append(signed, Param{"auth_signature", sig}), nil, now)
		if !hasAuth && err != nil {
			t.Fatalf("reference-signed request refused: %v", err)
		}
		forged := []byte(sig)
		forged[0] = '0'
		if sig[0] == '0' {
			forged[0] = '1'
		}
		err = c.Verify(method, path, append(signed, Param{"auth_signature", string(forged)}), nil, now)
		if err == nil {
			t.Fatal("forged signature accepted")
		}
		if !hasAuth && !errors.Is(err, ErrBadSignature) {
			t.Fatalf("forged signature: %v, want ErrBadSignature", err)
		}
	})
}
