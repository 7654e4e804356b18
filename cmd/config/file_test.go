package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestTOMLOnlyKeys(t *testing.T) {
	file := `
[streams]
pubsub_channel = "$direct"
[redis]
max_reconnect_attempts = 9
[nats]
max_reconnect_attempts = 8
[redis_pubsub]
channel = "rp"
[nats_pubsub]
channel = "np"
[api]
host = "10.0.0.1"
cors_headers = true
[embedded_nats]
jetstream = true
jetstream_store_dir = "/var/js"
jetstream_ready_timeout = 12
`
	c := mustRun(t, []string{"--config-path=/a.toml"}, nil, memFiles{"/a.toml": file}.source())
	got := []any{c.Streams.PubSubChannel, c.Redis.MaxReconnectAttempts, c.NATS.MaxReconnectAttempts,
		c.PubSub.RedisChannel, c.PubSub.NATSChannel, c.API.Host, c.API.CORSHeaders,
		c.EmbeddedNATS.JetStream, c.EmbeddedNATS.StoreDir, c.EmbeddedNATS.JetStreamReadyTimeout}
	want := []any{"$direct", 9, 8, "rp", "np", "10.0.0.1", true, true, "/var/js", 12}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("TOML-only keys:\n got %v\nwant %v", got, want)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("warnings: %q", c.Warnings)
	}
	// Defaults when the file does not set them.
	d := mustRun(t, nil, nil)
	if d.Streams.PubSubChannel != "$pubsub" || d.Redis.MaxReconnectAttempts != 5 || d.NATS.MaxReconnectAttempts != 5 ||
		d.PubSub.RedisChannel != "__anycable_internal__" || d.PubSub.NATSChannel != "__anycable_internal__" {
		t.Errorf("TOML-only defaults wrong: %+v %+v", d.Streams, d.PubSub)
	}
}

// TestAnycableStyleFile: a file in anycable-go's --print-config layout,
// including comma-separated strings where we print arrays.
func TestAnycableStyleFile(t *testing.T) {
	file := `
secret = "file-secret"
broadcast_adapters = ["http", "redisx"]
pubsub_adapter = "redis"
presets = ["none"]
[server]
host = "0.0.0.0"
port = 9090
allowed_origins = "A.example.com,b.example.com"
ssl.cert_path = "/c.pem"
[logging]
level = "WARN"
[rpc]
host = "http://app:3000/_anycable"
proxy_headers = ["Cookie", "X-Api"]
[ws]
paths = ["/cable", "/ws"]
[metrics]
tags = { env = "prod" }
statsd.host = "statsd:8125"
[app]
disconnect_mode = "never"
`
	c := mustRun(t, []string{"--config-path=/a.toml"}, nil, memFiles{"/a.toml": file}.source())
	checks := []struct {
		what      string
		got, want any
	}{
		{"secret", c.Secret, "file-secret"},
		{"adapters", c.Broadcast.Adapters, []string{"http", "redisx"}},
		{"pubsub", c.PubSub.Adapter, "redis"},
		{"host", c.Server.Host, "0.0.0.0"},
		{"port", c.Server.Port, 9090},
		{"origins", c.Server.AllowedOrigins, []string{"a.example.com", "b.example.com"}},
		{"ssl", c.Server.SSLCert, "/c.pem"},
		{"level", c.Logging.Level, "warn"},
		{"rpc impl", c.RPCImplementation(), "http"},
		{"headers", c.RPC.Headers, []string{"cookie", "x-api"}},
		{"paths", c.Server.Path, []string{"/cable", "/ws"}},
		{"tags", c.Metrics.Tags, map[string]string{"env": "prod"}},
		{"statsd", c.Metrics.StatsdHost, "statsd:8125"},
		{"mode", c.Disconnect.Mode, "never"},
		{"broadcast key", c.Broadcast.Key, hmacHex("file-secret", "broadcast-cable")},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s: got %v, want %v", ch.what, ch.got, ch.want)
		}
	}
}

func TestFileErrors(t *testing.T) {
	cases := []struct {
		file string
		want []string
	}{
		{"[server]\nport = \"8080\"\n", []string{"/a.toml", `"server.port"`, "expected an integer", "got a string"}},
		{"[server]\nport = -1\n", []string{`"server.port"`, "negative"}},
		{"[sse]\nenabled = 1\n", []string{`"sse.enabled"`, "boolean"}},
		{"[rpc]\nproxy_headers = [1, 2]\n", []string{`"rpc.proxy_headers"`, "array of strings"}},
		{"[server\nhost = 1", []string{"/a.toml"}},
		{"[app]\ndisconnect_mode = \"maybe\"\n", []string{"--disconnect_mode"}},
	}
	for _, tc := range cases {
		err := runErr([]string{"--config-path=/a.toml"}, nil, memFiles{"/a.toml": tc.file}.source())
		if err == nil {
			t.Errorf("%q: no error", tc.file)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: error %q lacks %q", tc.file, err, w)
			}
		}
	}
	// An explicit path must exist.
	if err := runErr([]string{"--config-path=/missing.toml"}, nil); err == nil || !strings.Contains(err.Error(), "missing.toml") {
		t.Errorf("missing explicit file: %v", err)
	}
}

func TestUnknownKeysWarn(t *testing.T) {
	file := "bogus = 1\n[server]\nhots = \"x\"\n[mystery]\na = 1\n"
	c := mustRun(t, []string{"--config-path=/a.toml"}, nil, memFiles{"/a.toml": file}.source())
	want := []string{`"bogus"`, `"mystery"`, `"server.hots"`}
	if len(c.Warnings) != len(want) {
		t.Fatalf("warnings %q", c.Warnings)
	}
	for i, w := range want {
		if !strings.Contains(c.Warnings[i], w) {
			t.Errorf("warning %d = %q, want it to name %s", i, c.Warnings[i], w)
		}
	}
}

func TestFileDiscovery(t *testing.T) {
	local, etc := "./anycable.toml", "/etc/anycable/anycable.toml"
	both := memFiles{local: "[server]\nhost = \"local\"\n", etc: "[server]\nhost = \"etc\"\n"}
	onlyEtc := memFiles{etc: "[server]\nhost = \"etc\"\n"}
	cases := []struct {
		name  string
		files memFiles
		args  []string
		host  string
		file  string
	}{
		{"local first", both, nil, "local", local},
		{"etc fallback", onlyEtc, nil, "etc", etc},
		{"none", memFiles{}, nil, "localhost", ""},
		{"ignored", both, []string{"--ignore-config-path"}, "localhost", ""},
		{"explicit", memFiles{"/x.toml": "[server]\nhost = \"x\"\n", local: "[server]\nhost = \"local\"\n"}, []string{"--config-path", "/x.toml"}, "x", "/x.toml"},
	}
	for _, tc := range cases {
		c := mustRun(t, tc.args, nil, tc.files.source(local, etc))
		if c.Server.Host != tc.host || c.ConfigFile != tc.file {
			t.Errorf("%s: host %q file %q, want %q %q", tc.name, c.Server.Host, c.ConfigFile, tc.host, tc.file)
		}
	}
}

// TestParseRealFile exercises the exported Parse with a file on disk.
func TestParseRealFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "densecable.toml")
	if err := os.WriteFile(path, []byte("[server]\nport = 4321\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, act, err := Parse([]string{"--config-path", path}, func(string) string { return "" }, nil)
	if err != nil || act != ActionRun || c.Server.Port != 4321 || c.ConfigFile != path {
		t.Fatalf("Parse: %v %v %+v", err, act, c)
	}
}
