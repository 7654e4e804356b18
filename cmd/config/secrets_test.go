package config

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

// hmacHex is the test's own HMAC-SHA256, independent of DeriveSecret.
func hmacHex(key, msg string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

func TestSecretDerivation(t *testing.T) {
	c := mustRun(t, []string{"--secret=s3cr3t"}, nil)
	checks := []struct{ what, got, want string }{
		{"streams", c.Streams.Secret, "s3cr3t"},
		{"jwt", c.JWT.Secret, "s3cr3t"},
		{"pusher", c.Pusher.Secret, "s3cr3t"},
		{"turbo", c.Streams.TurboStreamsSecret, "s3cr3t"},
		{"cable ready", c.Streams.CableReadySecret, "s3cr3t"},
		{"broadcast key", c.Broadcast.Key, hmacHex("s3cr3t", "broadcast-cable")},
		{"http rpc", c.RPC.HTTPSecret, hmacHex("s3cr3t", "rpc-cable")},
		{"api", c.API.Secret, hmacHex("s3cr3t", "api-cable")},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s: got %q, want %q", ch.what, ch.got, ch.want)
		}
	}
	// Value checked against openssl in WIRE-FACTS §6.
	if !strings.HasPrefix(c.RPC.HTTPSecret, "4b7da274") || !strings.HasSuffix(c.RPC.HTTPSecret, "f18d") {
		t.Errorf("rpc-cable for s3cr3t = %s, want 4b7da274…f18d", c.RPC.HTTPSecret)
	}
	if len(c.Broadcast.Key) != 64 || strings.ToLower(c.Broadcast.Key) != c.Broadcast.Key {
		t.Errorf("derived key is not lowercase hex: %q", c.Broadcast.Key)
	}
}

func TestNoSecretNoDerivation(t *testing.T) {
	c := mustRun(t, nil, nil)
	for what, v := range map[string]string{
		"secret": c.Secret, "streams": c.Streams.Secret, "jwt": c.JWT.Secret, "pusher": c.Pusher.Secret,
		"broadcast": c.Broadcast.Key, "rpc": c.RPC.HTTPSecret, "api": c.API.Secret,
	} {
		if v != "" {
			t.Errorf("%s = %q without --secret", what, v)
		}
	}
	if c.APIEnabled() {
		t.Error("API enabled without secret, port or public mode")
	}
}

// TestNoneSecrets: "none" is explicitly empty and blocks derivation.
func TestNoneSecrets(t *testing.T) {
	cases := []struct {
		flag string
		get  func(*Config) string
	}{
		{"streams_secret", func(c *Config) string { return c.Streams.Secret }},
		{"jwt_secret", func(c *Config) string { return c.JWT.Secret }},
		{"http_rpc_secret", func(c *Config) string { return c.RPC.HTTPSecret }},
		{"broadcast_key", func(c *Config) string { return c.Broadcast.Key }},
		{"http_broadcast_secret", func(c *Config) string { return c.Broadcast.Key }},
		{"pusher_secret", func(c *Config) string { return c.Pusher.Secret }},
	}
	for _, tc := range cases {
		c := mustRun(t, []string{"--secret=abc", "--" + tc.flag + "=none"}, nil)
		if got := tc.get(c); got != "" {
			t.Errorf("--%s=none: got %q, want empty", tc.flag, got)
		}
	}
	// secret=none: nothing is derived, even with other settings present.
	c := mustRun(t, []string{"--secret=none"}, nil)
	if c.Secret != "" || c.Broadcast.Key != "" || c.JWT.Secret != "" || c.RPC.HTTPSecret != "" {
		t.Errorf("secret=none: secret=%q key=%q jwt=%q rpc=%q", c.Secret, c.Broadcast.Key, c.JWT.Secret, c.RPC.HTTPSecret)
	}
	// api_secret has no "none" rule: it is a literal token.
	if c := mustRun(t, []string{"--secret=abc", "--api_secret=none"}, nil); c.API.Secret != "none" {
		t.Errorf("api_secret=none: got %q", c.API.Secret)
	}
	// The broadcast port falls back to 8090 when the key is none.
	if c := mustRun(t, []string{"--secret=abc", "--broadcast_key=none"}, nil); c.Broadcast.HTTPPort != 8090 {
		t.Errorf("broadcast_key=none: port %d, want 8090", c.Broadcast.HTTPPort)
	}
}

func TestExplicitSecretsWin(t *testing.T) {
	c := mustRun(t, []string{"--secret=abc", "--broadcast_key=bk", "--jwt_secret=js", "--http_rpc_secret=rs",
		"--api_secret=as", "--streams_secret=ss", "--pusher_secret=ps", "--turbo_streams_secret=ts"}, nil)
	pairs := [][2]string{
		{c.Broadcast.Key, "bk"}, {c.JWT.Secret, "js"}, {c.RPC.HTTPSecret, "rs"}, {c.API.Secret, "as"},
		{c.Streams.Secret, "ss"}, {c.Pusher.Secret, "ps"}, {c.Streams.TurboStreamsSecret, "ts"}, {c.Streams.CableReadySecret, "ss"},
	}
	for i, p := range pairs {
		if p[0] != p[1] {
			t.Errorf("secret #%d: got %q, want %q", i, p[0], p[1])
		}
	}
	// broadcast_key wins over the deprecated alias; the alias beats derivation.
	if c := mustRun(t, []string{"--secret=abc", "--broadcast_key=new", "--http_broadcast_secret=old"}, nil); c.Broadcast.Key != "new" {
		t.Errorf("broadcast_key vs alias: %q", c.Broadcast.Key)
	}
	if c := mustRun(t, []string{"--secret=abc", "--http_broadcast_secret=old"}, nil); c.Broadcast.Key != "old" {
		t.Errorf("alias vs derived: %q", c.Broadcast.Key)
	}
}

func TestHTTPBroadcastPort(t *testing.T) {
	cases := []struct {
		args []string
		want int
	}{
		{nil, 8090},
		{[]string{"--port=9000"}, 8090},
		{[]string{"--port=9000", "--secret=x"}, 9000},
		{[]string{"--port=9000", "--broadcast_key=k"}, 9000},
		{[]string{"--port=9000", "--secret=x", "--http_broadcast_port=7000"}, 7000},
		{[]string{"--port=9000", "--secret=x", "--public"}, 8090},
	}
	for _, tc := range cases {
		if c := mustRun(t, tc.args, nil); c.Broadcast.HTTPPort != tc.want {
			t.Errorf("%q: http_broadcast_port %d, want %d", tc.args, c.Broadcast.HTTPPort, tc.want)
		}
	}
}
