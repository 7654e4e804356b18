package config

import (
	"bytes"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestPrecedence checks flag > env > file > default for several kinds.
func TestPrecedence(t *testing.T) {
	cases := []struct {
		name                 string
		flag, env, key       string
		file, envV, flagV    string // file value is TOML syntax
		def, fromFile, fromE any
		fromFlag             any
		get                  func(*Config) any
	}{
		{name: "string", flag: "host", env: "ANYCABLE_HOST", key: "[server]\nhost",
			file: `"file.host"`, envV: "env.host", flagV: "flag.host",
			def: "localhost", fromFile: "file.host", fromE: "env.host", fromFlag: "flag.host",
			get: func(c *Config) any { return c.Server.Host }},
		{name: "int", flag: "port", env: "ANYCABLE_PORT", key: "[server]\nport",
			file: "1001", envV: "1002", flagV: "1003",
			def: 8080, fromFile: 1001, fromE: 1002, fromFlag: 1003,
			get: func(c *Config) any { return c.Server.Port }},
		{name: "bool", flag: "sse", env: "ANYCABLE_SSE", key: "[sse]\nenabled",
			file: "true", envV: "false", flagV: "true",
			def: false, fromFile: true, fromE: false, fromFlag: true,
			get: func(c *Config) any { return c.SSE.Enabled }},
		{name: "lower list", flag: "headers", env: "ANYCABLE_HEADERS", key: "[rpc]\nproxy_headers",
			file: `["X-File"]`, envV: "X-Env,Cookie", flagV: "X-Flag",
			def: []string{"cookie"}, fromFile: []string{"x-file"}, fromE: []string{"x-env", "cookie"}, fromFlag: []string{"x-flag"},
			get: func(c *Config) any { return c.RPC.Headers }},
		{name: "default-true bool", flag: "streams_presence", env: "ANYCABLE_STREAMS_PRESENCE", key: "[streams]\npresence",
			file: "false", envV: "true", flagV: "false",
			def: true, fromFile: false, fromE: true, fromFlag: false,
			get: func(c *Config) any { return c.Streams.Presence }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			files := memFiles{"/c.toml": tc.key + " = " + tc.file + "\n"}.source()
			noFile := []string{"--ignore-config-path"}
			withFile := []string{"--config-path", "/c.toml"}
			env := envOf(tc.env, tc.envV)
			flag := "--" + tc.flag + "=" + tc.flagV

			steps := []struct {
				what string
				args []string
				env  func(string) string
				want any
			}{
				{"default", noFile, nil, tc.def},
				{"file", withFile, nil, tc.fromFile},
				{"env over file", withFile, env, tc.fromE},
				{"flag over env", append(withFile, flag), env, tc.fromFlag},
				{"flag over file", append(withFile, flag), nil, tc.fromFlag},
			}
			for _, s := range steps {
				c := mustRun(t, s.args, s.env, files)
				if got := tc.get(c); !reflect.DeepEqual(got, s.want) {
					t.Errorf("%s: got %v, want %v", s.what, got, s.want)
				}
			}
		})
	}
}

// TestPrecedenceNoEnv: ws_max_pending_size has no env var, so only flag >
// file > default applies.
func TestPrecedenceNoEnv(t *testing.T) {
	files := memFiles{"/c.toml": "[ws]\nmax_pending_size = 10\n"}.source()
	env := envOf("ANYCABLE_WS_MAX_PENDING_SIZE", "20")
	if c := mustRun(t, []string{"--ignore-config-path"}, env, files); c.WS.MaxPendingSize != 1048576 {
		t.Errorf("default: got %d", c.WS.MaxPendingSize)
	}
	if c := mustRun(t, []string{"--config-path=/c.toml"}, env, files); c.WS.MaxPendingSize != 10 {
		t.Errorf("file: got %d", c.WS.MaxPendingSize)
	}
	if c := mustRun(t, []string{"--config-path=/c.toml", "--ws_max_pending_size", "30"}, env, files); c.WS.MaxPendingSize != 30 {
		t.Errorf("flag: got %d", c.WS.MaxPendingSize)
	}
}

func TestFlagSyntax(t *testing.T) {
	cases := []struct {
		args []string
		host string
		sse  bool
	}{
		{[]string{"--host", "a"}, "a", false},
		{[]string{"--host=a"}, "a", false},
		{[]string{"-host", "a"}, "a", false},
		{[]string{"-host=a"}, "a", false},
		{[]string{"--host="}, "", false},
		{[]string{"--host", "--x"}, "--x", false}, // a value may start with dashes
		{[]string{"--sse"}, "localhost", true},
		{[]string{"-sse"}, "localhost", true},
		{[]string{"--sse=true"}, "localhost", true},
		{[]string{"--sse=false"}, "localhost", false},
		{[]string{"--sse", "--sse=false"}, "localhost", false}, // last wins
		{[]string{"--sse=1"}, "localhost", true},
		{[]string{"--sse=T"}, "localhost", true},
		{[]string{"--sse=FALSE"}, "localhost", false},
		{[]string{"--host=x=y"}, "x=y", false},
		{[]string{"--host", "a", "--"}, "a", false},
	}
	for _, tc := range cases {
		c := mustRun(t, tc.args, nil)
		if c.Server.Host != tc.host || c.SSE.Enabled != tc.sse {
			t.Errorf("%q: host=%q sse=%v, want %q %v", tc.args, c.Server.Host, c.SSE.Enabled, tc.host, tc.sse)
		}
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		args []string
		env  func(string) string
		want []string // substrings of the error
	}{
		{[]string{"--bogus"}, nil, []string{"unknown flag", "--bogus"}},
		{[]string{"--bogus=1"}, nil, []string{"unknown flag", "--bogus"}},
		{[]string{"--port", "abc"}, nil, []string{"--port", `"abc"`, "not an integer"}},
		{[]string{"--port=-1"}, nil, []string{"--port", "negative"}},
		{[]string{"--port=99999999999999999999"}, nil, []string{"--port", "out of range"}},
		{[]string{"--port=70000"}, nil, []string{"--port", "0-65535"}},
		{[]string{"--port"}, nil, []string{"needs an argument", "--port"}},
		{[]string{"--sse=maybe"}, nil, []string{"--sse", `"maybe"`, "boolean"}},
		{[]string{"--sse", "true"}, nil, []string{"unexpected argument", `"true"`}},
		{[]string{"serve"}, nil, []string{"unexpected argument", `"serve"`}},
		{[]string{"--", "x"}, nil, []string{"unexpected argument", `"x"`}},
		{[]string{"---host=a"}, nil, []string{"bad flag syntax"}},
		{[]string{"--=a"}, nil, []string{"bad flag syntax"}},
		{[]string{"--disconnect_mode=sometimes"}, nil, []string{"--disconnect_mode", "sometimes", "auto, always, never"}},
		{[]string{"--log_format=xml"}, nil, []string{"--log_format", "text, json"}},
		{[]string{"--log_level=trace"}, nil, []string{"--log_level"}},
		{[]string{"--ping_timestamp_precision=us"}, nil, []string{"--ping_timestamp_precision"}},
		{[]string{"--broadcast_adapter=http,kafka"}, nil, []string{"--broadcast_adapter", "kafka"}},
		{[]string{"--rpc_impl=soap"}, nil, []string{"--rpc_impl"}},
		{[]string{"--ping_interval=0"}, nil, []string{"--ping_interval", "at least 1"}},
		{[]string{"--metrics_tags=novalue"}, nil, []string{"--metrics_tags", "key:value"}},
		{nil, envOf("ANYCABLE_PORT", "x"), []string{"ANYCABLE_PORT", "--port"}},
		{nil, envOf("PORT", "x"), []string{"env PORT", "--port"}},
		{nil, envOf("ANYCABLE_DEBUG", "yes"), []string{"ANYCABLE_DEBUG", "boolean"}},
		{[]string{"--presets=fly"}, envOf("FLY_APP_NAME", "app"), []string{"fly preset", "FLY_REGION"}},
		{[]string{"--presets=fly"}, envOf("FLY_REGION", "ams"), []string{"fly preset", "FLY_APP_NAME"}},
	}
	for _, tc := range cases {
		err := runErr(tc.args, tc.env)
		if err == nil {
			t.Errorf("%q: no error", tc.args)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: error %q does not mention %q", tc.args, err, w)
			}
		}
	}
}

func TestHelp(t *testing.T) {
	for _, arg := range []string{"-h", "--help", "-help", "--h"} {
		var out bytes.Buffer
		c, act, err := parse([]string{"--port=1", arg}, nil, &out, memFiles{}.source())
		if err != nil || act != ActionHelp || c != nil {
			t.Fatalf("%s: action %v, err %v", arg, act, err)
		}
		text := out.String()
		for _, want := range []string{
			"--host value", `(default: "localhost")`, "[$ANYCABLE_HOST]",
			"[$ANYCABLE_PORT, $PORT]", "[$ANYCABLE_REDIS_URL, $REDIS_URL]",
			"--ws_max_pending_size value", "--poll_path value", "SERVER", "REDIS",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: help lacks %q", arg, want)
			}
		}
		// Hidden and deprecated flags are accepted but not listed.
		for _, hiddenFlag := range []string{"--read_buffer_size", "--node_id", "--jwt_id_key", "--disable_disconnect", "--redisx_group"} {
			if strings.Contains(text, hiddenFlag+" ") {
				t.Errorf("%s: help lists hidden %s", arg, hiddenFlag)
			}
		}
		// ws_max_pending_size has no env var, so none is shown.
		for _, line := range strings.Split(text, "\n") {
			if strings.Contains(line, "--ws_max_pending_size") && strings.Contains(line, "$") {
				t.Errorf("ws_max_pending_size shows an env var: %q", line)
			}
		}
	}
}

func TestVersion(t *testing.T) {
	for _, arg := range []string{"-v", "--version"} {
		var out bytes.Buffer
		_, act, err := parse([]string{arg}, nil, &out, memFiles{}.source())
		if err != nil || act != ActionVersion {
			t.Fatalf("%s: action %v, err %v", arg, act, err)
		}
		if out.String() != Version+"\n" {
			t.Errorf("%s: printed %q, want %q", arg, out.String(), Version+"\n")
		}
	}
}

// TestHiddenFlagsAccepted: every flag of the table parses on the command line.
func TestEveryFlagAccepted(t *testing.T) {
	sample := map[kind]string{
		kString: "x", kInt: "7", kUint64: "7", kBool: "true",
		kList: "a,b", kLowerList: "http", kSemiList: "a;b", kTags: "k:v",
	}
	for i := range flagTable {
		d := &flagTable[i]
		if d.name == "" || d.special != notSpecial || d.name == "config-path" {
			continue
		}
		v := sample[d.kind]
		switch d.name { // settings with a closed set of values
		case "disconnect_mode":
			v = "always"
		case "log_level":
			v = "warn"
		case "log_format":
			v = "json"
		case "ping_timestamp_precision":
			v = "ms"
		case "statsd_tags_format":
			v = "graphite"
		case "rpc_impl", "broker", "pubsub":
			v = "nats"
			if d.name == "rpc_impl" {
				v = "http"
			}
		case "presets":
			v = "none"
		}
		if err := runErr([]string{"--" + d.name + "=" + v}, nil); err != nil {
			t.Errorf("--%s=%s: %v", d.name, v, err)
		}
	}
}

// --ws_frame_timeout is read from the flag, the env var and the file, and
// must be positive.
func TestWSFrameTimeout(t *testing.T) {
	if c := mustRun(t, nil, envOf()); c.WS.FrameTimeout != 30 {
		t.Errorf("default %d, want 30", c.WS.FrameTimeout)
	}
	if c := mustRun(t, []string{"--ws_frame_timeout=7"}, envOf()); c.WS.FrameTimeout != 7 {
		t.Errorf("flag: %d", c.WS.FrameTimeout)
	}
	if c := mustRun(t, nil, envOf("ANYCABLE_WS_FRAME_TIMEOUT", "9")); c.WS.FrameTimeout != 9 {
		t.Errorf("env: %d", c.WS.FrameTimeout)
	}
	files := memFiles{"a.toml": "[ws]\nframe_timeout = 11\n"}.source()
	if c := mustRun(t, []string{"--config-path=a.toml"}, envOf(), files); c.WS.FrameTimeout != 11 {
		t.Errorf("file: %d", c.WS.FrameTimeout)
	}
	if err := runErr([]string{"--ws_frame_timeout=0"}, envOf()); err == nil {
		t.Error("0 accepted")
	}
	if _, out := printConfig(t, []string{"--ws_frame_timeout=12"}, envOf()); !strings.Contains(out, "frame_timeout = 12") {
		t.Errorf("print-config does not show the frame timeout:\n%s", out)
	}
}

// --ws_compression_context_takeover (densecable's own) is read from the
// flag, the env var and the file, and is off by default.
func TestWSCompressionContextTakeover(t *testing.T) {
	if c := mustRun(t, nil, envOf()); c.WS.CompressionTakeover {
		t.Error("on by default")
	}
	c := mustRun(t, []string{"--ws_compression_context_takeover"}, envOf())
	if !c.WS.CompressionTakeover {
		t.Error("flag ignored")
	}
	if !slices.ContainsFunc(c.Warnings, func(w string) bool { return strings.Contains(w, "no effect without --enable_ws_compression") }) {
		t.Errorf("no warning without --enable_ws_compression: %q", c.Warnings)
	}
	if c := mustRun(t, []string{"--ws_compression_context_takeover", "--enable_ws_compression"}, envOf()); len(c.Warnings) != 0 {
		t.Errorf("warnings %q", c.Warnings)
	}
	if c := mustRun(t, nil, envOf("ANYCABLE_WS_COMPRESSION_CONTEXT_TAKEOVER", "true")); !c.WS.CompressionTakeover {
		t.Error("env ignored")
	}
	files := memFiles{"a.toml": "[ws]\ncompression_context_takeover = true\n"}.source()
	if c := mustRun(t, []string{"--config-path=a.toml"}, envOf(), files); !c.WS.CompressionTakeover {
		t.Error("file ignored")
	}
}
