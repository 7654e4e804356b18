package pusher

import (
	"errors"
	"testing"
	"time"
)

// The worked example of Pusher's HTTP API reference (its key, secret,
// body, timestamp and published signature).
func TestVerifyPusherReferenceExample(t *testing.T) {
	c := Credentials{Key: "278d425bdf160c739803", Secret: "7ad3773142a6692b25b8"}
	body := []byte(`{"name":"foo","channels":["project-3"],"data":"{\"some\":\"data\"}"}`)
	params := []Param{
		{"auth_key", c.Key}, {"auth_timestamp", "1353088179"}, {"auth_version", "1.0"},
		{"body_md5", "ec365a775a4cd0599faeb73354201b6f"},
		{"auth_signature", "da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c"},
	}
	now := time.Unix(1353088179, 0)
	if err := c.Verify("POST", "/apps/3/events", params, body, now); err != nil {
		t.Fatalf("reference example rejected: %v", err)
	}
	cases := []struct {
		name   string
		mutate func(p []Param, b []byte, now time.Time) ([]Param, []byte, time.Time)
		want   error
	}{
		{"stale", func(p []Param, b []byte, now time.Time) ([]Param, []byte, time.Time) {
			return p, b, now.Add(MaxSkew + time.Second)
		}, ErrStale},
		{"early", func(p []Param, b []byte, now time.Time) ([]Param, []byte, time.Time) {
			return p, b, now.Add(-MaxSkew - time.Second)
		}, ErrStale},
		{"body changed", func(p []Param, b []byte, now time.Time) ([]Param, []byte, time.Time) {
			return p, append([]byte(nil), append(b[:len(b)-1:len(b)-1], ' ', '}')...), now
		}, ErrBodyMD5},
		{"forged", func(p []Param, b []byte, now time.Time) ([]Param, []byte, time.Time) {
			q := append([]Param(nil), p...)
			q[4].Value = "0" + q[4].Value[1:]
			return q, b, now
		}, ErrBadSignature},
		{"extra param", func(p []Param, b []byte, now time.Time) ([]Param, []byte, time.Time) {
			return append(append([]Param(nil), p...), Param{"info", "x"}), b, now
		}, ErrBadSignature},
		{"wrong key", func(p []Param, b []byte, now time.Time) ([]Param, []byte, time.Time) {
			q := append([]Param(nil), p...)
			q[0].Value = "other"
			return q, b, now
		}, ErrWrongKey},
		{"unsigned", func(p []Param, b []byte, now time.Time) ([]Param, []byte, time.Time) {
			return p[:4], b, now
		}, ErrMissingAuth},
		{"version", func(p []Param, b []byte, now time.Time) ([]Param, []byte, time.Time) {
			q := append([]Param(nil), p...)
			q[2].Value = "2.0"
			return q, b, now
		}, ErrAuthVersion},
		{"duplicate", func(p []Param, b []byte, now time.Time) ([]Param, []byte, time.Time) {
			return append(append([]Param(nil), p...), Param{"AUTH_KEY", c.Key}), b, now
		}, ErrDuplicateAuth},
	}
	for _, tc := range cases {
		p, b, n := tc.mutate(params, body, now)
		if err := c.Verify("POST", "/apps/3/events", p, b, n); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
}

// Keys are lower-cased and sorted; auth_signature is left out; values are
// taken as they are.
func TestStringToSign(t *testing.T) {
	got := StringToSign("get", "/apps/1/channels", []Param{
		{"info", "user_count,subscription_count"}, {"auth_signature", "x"}, {"Filter_By_Prefix", "presence-"}, {"auth_key", "k"},
	})
	want := "GET\n/apps/1/channels\nauth_key=k&filter_by_prefix=presence-&info=user_count,subscription_count"
	if got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}
