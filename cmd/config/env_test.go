package config

import (
	"slices"
	"testing"
)

// TestSpecFlagsRegistered: every flag of FLAGS.md exists with the env vars
// the spec lists and the spec's visibility in -h.
func TestSpecFlagsRegistered(t *testing.T) {
	for _, sf := range specFlags {
		d, ok := byFlag[sf.name]
		if !ok {
			t.Errorf("--%s is not registered", sf.name)
			continue
		}
		got := d.envVars()
		for _, e := range sf.envs {
			if !slices.Contains(got, e) {
				t.Errorf("--%s: env %s not read (reads %v)", sf.name, e, got)
			}
		}
		if len(sf.envs) == 0 && len(got) != 0 {
			t.Errorf("--%s: must read no env var, reads %v", sf.name, got)
		}
		listed := d.vis == shown || d.vis == pro
		wantListed := sf.vis == "shown" || sf.vis == "PRO"
		if listed != wantListed {
			t.Errorf("--%s: listed in -h = %v, spec says %s", sf.name, listed, sf.vis)
		}
		if (d.vis == deprecated) != (sf.vis == "dep") {
			t.Errorf("--%s: deprecated = %v, spec says %s", sf.name, d.vis == deprecated, sf.vis)
		}
	}
	if len(specFlags) < 150 {
		t.Fatalf("spec table looks truncated: %d rows", len(specFlags))
	}
}

// TestEnvNameRule: ANYCABLE_ + upper(flag) with - and _ → _.
func TestEnvNameRule(t *testing.T) {
	cases := map[string]string{
		"max-conn":      "ANYCABLE_MAX_CONN",
		"proxy-cookies": "ANYCABLE_PROXY_COOKIES",
		"health-path":   "ANYCABLE_HEALTH_PATH",
		"rpc_host":      "ANYCABLE_RPC_HOST",
	}
	for flag, want := range cases {
		if got := envName(flag); got != want {
			t.Errorf("envName(%q) = %q, want %q", flag, got, want)
		}
	}
	c := mustRun(t, nil, envOf("ANYCABLE_MAX_CONN", "5", "ANYCABLE_PROXY_COOKIES", "a,b", "ANYCABLE_HEALTH_PATH", "/up"))
	if c.Server.MaxConn != 5 || !slices.Equal(c.RPC.ProxyCookies, []string{"a", "b"}) || c.Server.HealthPath != "/up" {
		t.Errorf("dash flags from env: max_conn=%d cookies=%v health=%q", c.Server.MaxConn, c.RPC.ProxyCookies, c.Server.HealthPath)
	}
}

func TestEnvFallbacks(t *testing.T) {
	if c := mustRun(t, nil, envOf("PORT", "3000")); c.Server.Port != 3000 {
		t.Errorf("PORT: got %d", c.Server.Port)
	}
	if c := mustRun(t, nil, envOf("PORT", "3000", "ANYCABLE_PORT", "4000")); c.Server.Port != 4000 {
		t.Errorf("ANYCABLE_PORT must win over PORT: got %d", c.Server.Port)
	}
	if c := mustRun(t, []string{"--port=5000"}, envOf("PORT", "3000")); c.Server.Port != 5000 {
		t.Errorf("flag must win over PORT: got %d", c.Server.Port)
	}
	c := mustRun(t, nil, envOf("REDIS_URL", "redis://r:1"))
	if c.Redis.URL != "redis://r:1" || !c.ExplicitlySet("redis_url") {
		t.Errorf("REDIS_URL: got %q explicit=%v", c.Redis.URL, c.ExplicitlySet("redis_url"))
	}
	if c := mustRun(t, nil, envOf("REDIS_URL", "redis://r:1", "ANYCABLE_REDIS_URL", "redis://a:2")); c.Redis.URL != "redis://a:2" {
		t.Errorf("ANYCABLE_REDIS_URL must win over REDIS_URL: got %q", c.Redis.URL)
	}
	if c := mustRun(t, nil, envOf("ANYCABLE_POLL_MAX_REQEUEST_SIZE", "1234")); c.Poll.MaxRequestSize != 1234 {
		t.Errorf("documented typo env: got %d", c.Poll.MaxRequestSize)
	}
	if c := mustRun(t, nil, envOf("ANYCABLE_CABLE_READY_STREAMS", "true")); !c.Streams.CableReady {
		t.Error("ANYCABLE_CABLE_READY_STREAMS not read")
	}
}

// TestEnvIgnored: settings without an env var ignore the ANYCABLE_ name.
func TestEnvIgnored(t *testing.T) {
	env := envOf(
		"ANYCABLE_WS_MAX_PENDING_SIZE", "7",
		"ANYCABLE_CONFIG_PATH", "/nonexistent.toml",
		"ANYCABLE_IGNORE_CONFIG_PATH", "true",
		"ANYCABLE_PRINT_CONFIG", "true",
		"ANYCABLE_HELP", "true",
		"ANYCABLE_VERSION", "true",
	)
	files := memFiles{"./anycable.toml": "[server]\nhost = \"from-file\"\n"}.source("./anycable.toml")
	c := mustRun(t, nil, env, files)
	if c.WS.MaxPendingSize != 1048576 {
		t.Errorf("ANYCABLE_WS_MAX_PENDING_SIZE was read: %d", c.WS.MaxPendingSize)
	}
	if c.ConfigPath != "" || c.IgnoreConfigPath || c.Server.Host != "from-file" {
		t.Errorf("config path env vars were read: path=%q ignore=%v host=%q", c.ConfigPath, c.IgnoreConfigPath, c.Server.Host)
	}
	// TOML-only settings have no env var either.
	if c := mustRun(t, nil, envOf("ANYCABLE_STREAMS_PUBSUB_CHANNEL", "x", "ANYCABLE_PUBSUB_CHANNEL", "x")); c.Streams.PubSubChannel != "$pubsub" {
		t.Errorf("TOML-only key read from env: %q", c.Streams.PubSubChannel)
	}
}

// TestBoolEnv: strconv.ParseBool syntax.
func TestBoolEnv(t *testing.T) {
	for _, v := range []string{"1", "t", "T", "TRUE", "true", "True"} {
		if c := mustRun(t, nil, envOf("ANYCABLE_SSE", v)); !c.SSE.Enabled {
			t.Errorf("ANYCABLE_SSE=%s: not enabled", v)
		}
	}
	for _, v := range []string{"0", "f", "F", "FALSE", "false", "False"} {
		if c := mustRun(t, nil, envOf("ANYCABLE_STREAMS_PRESENCE", v)); c.Streams.Presence {
			t.Errorf("ANYCABLE_STREAMS_PRESENCE=%s: still enabled", v)
		}
	}
	// An empty value counts as unset.
	if c := mustRun(t, nil, envOf("ANYCABLE_STREAMS_PRESENCE", "")); !c.Streams.Presence || c.ExplicitlySet("streams_presence") {
		t.Error("empty env value was applied")
	}
}
