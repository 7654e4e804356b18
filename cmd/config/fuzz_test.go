package config

import (
	"bytes"
	"io"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse feeds random arguments (NUL-separated) and environment
// ("K=V" lines) to the parser. It must never panic; when parsing succeeds,
// --print-config output must be valid TOML that reads back (in the same
// environment) to the same settings.
func FuzzParse(f *testing.F) {
	seeds := []struct{ args, env string }{
		{"", ""},
		{"--port\x009000\x00--sse", "ANYCABLE_HOST=0.0.0.0"},
		{"-secret=s3cr3t\x00--public", "PORT=3000\nREDIS_URL=redis://r:6379"},
		{"--presets=fly,broker", "FLY_APP_NAME=a\nFLY_REGION=ams\nFLY_ALLOC_ID=x"},
		{"--headers=Cookie,X-Id\x00--path=/a,/b\x00--metrics_tags=a:b", "ANYCABLE_DEBUG=t"},
		{"--broadcast_key=none\x00--jwt_id_key=k\x00--disable_disconnect", "ANYCABLE_RPC_CONCURRENCY=0"},
		{"--bogus\x00--port=x", "ANYCABLE_PORT=-1"},
		{"--enats_gateways=a:n://x;b:n://y\x00--embed_nats", "HEROKU_APP_ID=1\nHEROKU_DYNO_ID=2"},
		{"--host=\"\\\n\x00--node_id=ü", ""},
		{"-h", ""},
		{"--print-config", ""},
	}
	for _, s := range seeds {
		f.Add(s.args, s.env)
	}
	f.Fuzz(func(t *testing.T, argBlob, envBlob string) {
		var args []string
		if argBlob != "" {
			args = strings.Split(argBlob, "\x00")
		}
		envMap := map[string]string{}
		for _, line := range strings.Split(envBlob, "\n") {
			if k, v, ok := strings.Cut(line, "="); ok {
				envMap[k] = v
			}
		}
		env := func(k string) string { return envMap[k] }
		files := memFiles{}.source("./anycable.toml")

		c, act, err := parse(args, env, io.Discard, files)
		if err != nil || act != ActionRun && act != ActionPrintConfig {
			return
		}
		var out bytes.Buffer
		if err := c.WriteTOML(&out); err != nil {
			t.Fatalf("WriteTOML: %v", err)
		}
		// Read the printed file back in the same environment, no flags.
		back := memFiles{"./anycable.toml": out.String()}.source("./anycable.toml")
		c2, _, err := parse(nil, env, io.Discard, back)
		if err != nil {
			t.Fatalf("printed config does not parse back: %v\nargs %q env %q\n%s", err, args, envMap, out.String())
		}
		if !utf8.ValidString(argBlob) || !utf8.ValidString(envBlob) {
			return // TOML cannot hold invalid UTF-8; it is replaced
		}
		s1, s2 := settingsOf(c), settingsOf(c2)
		for k, v1 := range s1 {
			if !reflect.DeepEqual(v1, s2[k]) {
				t.Fatalf("%s = %#v, after round trip %#v\nargs %q env %q", k, v1, s2[k], args, envMap)
			}
		}
	})
}

// FuzzConfigFile feeds random TOML files to the loader: it must never panic,
// and an accepted file's --print-config output must read back to the same
// settings.
func FuzzConfigFile(f *testing.F) {
	for _, seed := range []string{
		"",
		"[server]\nport = 9090\nhost = \"0.0.0.0\"\n",
		"secret = \"x\"\nbroadcast_adapters = [\"http\", \"redisx\"]\n[metrics]\ntags = { a = \"b\" }\nstatsd.host = \"s:1\"\n",
		"[server]\nallowed_origins = \"A.io,b.io\"\nssl.cert_path = \"/c\"\n[ws]\npaths = []\n",
		"[streams]\npubsub_channel = \"$p\"\n[embedded_nats]\njetstream = true\n[unknown]\nx = 1\n",
		"[server\n",
		"[server]\nport = 1e3\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, file string) {
		args := []string{"--config-path=/f.toml"}
		c, _, err := parse(args, nil, io.Discard, memFiles{"/f.toml": file}.source())
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := c.WriteTOML(&out); err != nil {
			t.Fatalf("WriteTOML: %v", err)
		}
		c2, _, err := parse(args, nil, io.Discard, memFiles{"/f.toml": out.String()}.source())
		if err != nil {
			t.Fatalf("printed config does not parse back: %v\ninput %q\n%s", err, file, out.String())
		}
		if !utf8.ValidString(file) {
			return
		}
		s1, s2 := settingsOf(c), settingsOf(c2)
		for k, v1 := range s1 {
			if !reflect.DeepEqual(v1, s2[k]) {
				t.Fatalf("%s = %#v, after round trip %#v\ninput %q", k, v1, s2[k], file)
			}
		}
	})
}
