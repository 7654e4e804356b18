package config

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// settingsOf returns every setting value that print-config must preserve:
// all table rows except actions, file selection, deprecated aliases (they are
// folded into their replacements) and an auto-generated node_id.
func settingsOf(c *Config) map[string]any {
	out := map[string]any{}
	for i := range flagTable {
		d := &flagTable[i]
		if d.special != notSpecial || d.vis == deprecated || d.name == "config-path" || d.name == "ignore-config-path" {
			continue
		}
		if d.name == "node_id" && !c.ExplicitlySet("node_id") {
			continue
		}
		out[d.id()] = reflect.ValueOf(d.field(c)).Elem().Interface()
	}
	return out
}

// printConfig runs Parse with --print-config and returns the output.
func printConfig(t *testing.T, args []string, env func(string) string) (*Config, string) {
	t.Helper()
	var out bytes.Buffer
	c, act, err := parse(append(args, "--print-config"), env, &out, memFiles{}.source())
	if err != nil || act != ActionPrintConfig {
		t.Fatalf("print-config %q: action %v err %v", args, act, err)
	}
	return c, out.String()
}

// assertRoundTrip prints args' config, parses the output as the only input
// and compares every setting.
func assertRoundTrip(t *testing.T, args []string, env func(string) string) string {
	t.Helper()
	c1, text := printConfig(t, args, env)
	var raw map[string]any
	if _, err := toml.Decode(text, &raw); err != nil {
		t.Fatalf("print-config output is not valid TOML: %v\n%s", err, text)
	}
	c2 := mustRun(t, []string{"--config-path=/printed.toml"}, nil, memFiles{"/printed.toml": text}.source())
	if len(c2.Warnings) != 0 {
		t.Errorf("re-reading printed config warns: %q", c2.Warnings)
	}
	s1, s2 := settingsOf(c1), settingsOf(c2)
	for k, v1 := range s1 {
		if v2 := s2[k]; !reflect.DeepEqual(v1, v2) {
			t.Errorf("%q: %s = %#v, after round trip %#v", args, k, v1, v2)
		}
	}
	return text
}

func TestPrintConfigRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  func(string) string
	}{
		{"defaults", nil, nil},
		{"secret derivations", []string{"--secret=s3cr3t", "--port=9000"}, nil},
		{"public", []string{"--public", "--secret=abc"}, nil},
		{"none secrets", []string{"--secret=abc", "--broadcast_key=none", "--jwt_secret=none", "--streams_secret=none",
			"--http_rpc_secret=none", "--pusher_secret=none"}, nil},
		{"norpc debug", []string{"--norpc", "--debug", "--log_format=json"}, nil},
		{"lists and tags", []string{"--path=/a,/b", "--headers=X-A,Cookie", "--allowed_origins=*.x.io",
			"--metrics_tags=env:prod,a b:c", "--enats_gateways=a:nats://x:1;b:nats://y:2", "--proxy-cookies=s",
			"--presets=none", "--metrics_log_filter=rpc_call_total"}, nil},
		{"empty lists", []string{"--path=", "--headers="}, nil},
		{"fly preset", nil, flyEnv("ANYCABLE_FLY_RPC_APP_NAME", "web")},
		{"broker preset redis", []string{"--presets=broker"}, envOf("REDIS_URL", "redis://r:1/2")},
		{"deprecated", []string{"--jwt_id_key=k", "--turbo_rails_key=t", "--disable_disconnect", "--http_broadcast_secret=hb"}, nil},
		{"odd strings", []string{"--node_id=n\"1", "--host=a\\b", "--health-path=/h\n\tx", "--sse_path=/ü€😀",
			"--statsd_prefix=\x01\x7f", "--graphql_channel=#not a comment"}, nil},
		{"pro and hidden", []string{"--rpc_concurrency=0", "--rpc_concurrency_max=7", "--poll", "--ocpp_granular_actions=false",
			"--netpoll_enabled=false", "--ws_max_pending_size=9223372036854775807", "--read_buffer_size=0"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { assertRoundTrip(t, tc.args, tc.env) })
	}
}

func TestPrintConfigLayout(t *testing.T) {
	_, text := printConfig(t, []string{"--secret=s3cr3t"}, nil)
	for _, want := range []string{
		"\n[server]\n", "\n[rpc]\n", "\n[broker]\n", "\n[redis]\n", "\n[streams]\n", "\n[embedded_nats]\n",
		"\n[redis_pubsub]\n", "\n[nats_pubsub]\n", "\n[api]\n", "\n[metrics]\n",
		`host = "localhost"`, "port = 8080", `pubsub_channel = "$pubsub"`, "max_reconnect_attempts = 5",
		`secret = "s3cr3t"`, "# node_id = ", `broadcast_adapters = ["http", "redis"]`,
		`secret = "4b7da2749fe2a4534cec0d2acbd16277a800cf2acd31158ac4edae4a62a8f18d"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("print-config lacks %q", want)
		}
	}
	// Top-level keys come before the first table.
	if strings.Index(text, "broadcast_key =") > strings.Index(text, "[server]") {
		t.Error("top-level key printed after a table")
	}
	// Deprecated settings are not printed.
	if strings.Contains(text, "http_request_timeout") || strings.Contains(text, "jwt_id") {
		t.Error("deprecated setting printed")
	}
	// Without a secret, derivable secrets print as none.
	_, text = printConfig(t, nil, nil)
	if !strings.Contains(text, "\nsecret = \"none\"\n") || !strings.Contains(text, "broadcast_key = \"none\"") {
		t.Error("empty secrets not printed as none")
	}
}

func TestTOMLString(t *testing.T) {
	cases := map[string]string{
		"plain":         `"plain"`,
		`q"b\`:          `"q\"b\\"`,
		"nl\ntab\tcr\r": `"nl\ntab\tcr\r"`,
		"\x00\x1f\x7f":  `"\u0000\u001F\u007F"`,
		"bad\xffutf8":   "\"bad\uFFFDutf8\"",
	}
	for in, want := range cases {
		if got := tomlString(in); got != want {
			t.Errorf("tomlString(%q) = %s, want %s", in, got, want)
		}
	}
	if tomlKey("env") != "env" || tomlKey("a b") != `"a b"` || tomlKey("") != `""` {
		t.Error("tomlKey quoting")
	}
}
