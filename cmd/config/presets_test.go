package config

import (
	"regexp"
	"slices"
	"testing"
)

func flyEnv(extra ...string) func(string) string {
	return envOf(append([]string{"FLY_APP_NAME", "cable", "FLY_REGION", "ams", "FLY_ALLOC_ID", "a1b2"}, extra...)...)
}

func TestFlyPresetDetected(t *testing.T) {
	c := mustRun(t, []string{"--port=8081"}, flyEnv())
	if !slices.Equal(c.ActivePresets, []string{"fly"}) {
		t.Fatalf("presets %v, want [fly]", c.ActivePresets)
	}
	e := c.EmbeddedNATS
	checks := []struct{ what, got, want string }{
		{"host", c.Server.Host, "0.0.0.0"},
		{"enats addr", e.Addr, "nats://0.0.0.0:4222"},
		{"enats cluster", e.Cluster, "nats://0.0.0.0:5222"},
		{"cluster name", e.ClusterName, "cable-ams-cluster"},
		{"gateway advertise", e.GatewayAdvertise, "ams.cable.internal:7222"},
		{"pubsub", c.PubSub.Adapter, "nats"},
		{"nats servers", c.NATS.Servers, "nats://0.0.0.0:4222"},
		{"rpc host", c.RPC.Host, DefaultRPCHost},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s: got %q, want %q", ch.what, ch.got, ch.want)
		}
	}
	if c.Broadcast.HTTPPort != 8081 {
		t.Errorf("http_broadcast_port %d, want the main port", c.Broadcast.HTTPPort)
	}
	if !slices.Equal(e.ClusterRoutes, []string{"nats://ams.cable.internal:5222"}) {
		t.Errorf("routes %v", e.ClusterRoutes)
	}
	if !e.Enabled || !slices.Equal(c.Broadcast.Adapters, []string{"http", "nats"}) {
		t.Errorf("embedded NATS %v, adapters %v", e.Enabled, c.Broadcast.Adapters)
	}
	if !regexp.MustCompile(`^fly-ams-a1b2-[A-Za-z0-9_-]{3}$`).MatchString(e.ServerName) {
		t.Errorf("server name %q", e.ServerName)
	}
}

func TestFlyPresetWithRedisAndRPCApp(t *testing.T) {
	c := mustRun(t, nil, flyEnv("REDIS_URL", "redis://fly-redis:6379", "ANYCABLE_FLY_RPC_APP_NAME", "web"))
	if c.PubSub.Adapter != "redis" || c.EmbeddedNATS.Enabled {
		t.Errorf("with Redis: pubsub %q, enats %v", c.PubSub.Adapter, c.EmbeddedNATS.Enabled)
	}
	if !slices.Equal(c.Broadcast.Adapters, []string{"http", "redis"}) {
		t.Errorf("with Redis the default adapters stay: %v", c.Broadcast.Adapters)
	}
	if c.RPC.Host != "dns:///ams.web.internal:50051" {
		t.Errorf("rpc host %q", c.RPC.Host)
	}
}

// TestPresetsKeepExplicit: values set by flag, env or file are not overridden.
func TestPresetsKeepExplicit(t *testing.T) {
	files := memFiles{"/c.toml": "[embedded_nats]\ncluster_name = \"mine\"\n"}.source()
	c := mustRun(t, []string{"--config-path=/c.toml", "--host=localhost", "--http_broadcast_port=9999",
		"--pubsub=redis", "--broadcast_adapter=http", "--rpc_host=r:1", "--enats_server_name=n1"},
		flyEnv("ANYCABLE_ENATS_ADDR", "nats://127.0.0.1:5000", "ANYCABLE_FLY_RPC_APP_NAME", "web"), files)
	checks := []struct{ what, got, want string }{
		{"host", c.Server.Host, "localhost"},
		{"pubsub", c.PubSub.Adapter, "redis"},
		{"rpc host", c.RPC.Host, "r:1"},
		{"server name", c.EmbeddedNATS.ServerName, "n1"},
		{"enats addr", c.EmbeddedNATS.Addr, "nats://127.0.0.1:5000"},
		{"cluster name", c.EmbeddedNATS.ClusterName, "mine"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s: got %q, want %q", ch.what, ch.got, ch.want)
		}
	}
	if c.Broadcast.HTTPPort != 9999 || !slices.Equal(c.Broadcast.Adapters, []string{"http"}) || c.EmbeddedNATS.Enabled {
		t.Errorf("port %d adapters %v enats %v", c.Broadcast.HTTPPort, c.Broadcast.Adapters, c.EmbeddedNATS.Enabled)
	}
}

func TestFlyPresetEmbedNATSOff(t *testing.T) {
	c := mustRun(t, []string{"--embed_nats=false"}, flyEnv())
	if c.EmbeddedNATS.Enabled || c.PubSub.Adapter != "" || !slices.Equal(c.Broadcast.Adapters, []string{"http"}) {
		t.Errorf("embed_nats=false: enats %v pubsub %q adapters %v", c.EmbeddedNATS.Enabled, c.PubSub.Adapter, c.Broadcast.Adapters)
	}
}

func TestFlyDetectionNeedsAllVars(t *testing.T) {
	c := mustRun(t, nil, envOf("FLY_APP_NAME", "cable", "FLY_REGION", "ams"))
	if len(c.ActivePresets) != 0 || c.Server.Host != "localhost" {
		t.Errorf("partial fly env detected: %v", c.ActivePresets)
	}
}

func TestHerokuPreset(t *testing.T) {
	env := envOf("HEROKU_APP_ID", "id", "HEROKU_DYNO_ID", "dyno", "PORT", "5555")
	c := mustRun(t, nil, env)
	if !slices.Equal(c.ActivePresets, []string{"heroku"}) || c.Server.Host != "0.0.0.0" ||
		c.Server.Port != 5555 || c.Broadcast.HTTPPort != 5555 {
		t.Errorf("heroku: presets %v host %q port %d broadcast %d", c.ActivePresets, c.Server.Host, c.Server.Port, c.Broadcast.HTTPPort)
	}
	c = mustRun(t, []string{"--host=127.0.0.1", "--http_broadcast_port=1"}, env)
	if c.Server.Host != "127.0.0.1" || c.Broadcast.HTTPPort != 1 {
		t.Errorf("heroku overrode explicit values: host %q broadcast %d", c.Server.Host, c.Broadcast.HTTPPort)
	}
}

func TestBrokerPreset(t *testing.T) {
	cases := []struct {
		name     string
		args     []string
		env      func(string) string
		broker   string
		adapters []string
		pubsub   string
	}{
		{"memory", []string{"--presets=broker"}, nil, "memory", []string{"http"}, ""},
		{"embedded nats", []string{"--presets=broker", "--embed_nats"}, nil, "nats", []string{"http", "nats"}, "nats"},
		{"redis", []string{"--presets=broker"}, envOf("REDIS_URL", "redis://r:6379"), "redis", []string{"http", "redisx", "redis"}, "redis"},
		{"explicit broker kept", []string{"--presets=broker", "--broker=nats", "--broadcast_adapter=http,nats"}, nil, "nats", []string{"http", "nats"}, ""},
		{"after fly", []string{"--presets=fly,broker"}, flyEnv(), "nats", []string{"http", "nats"}, "nats"},
	}
	for _, tc := range cases {
		c := mustRun(t, tc.args, tc.env)
		if c.Broker.Adapter != tc.broker || !slices.Equal(c.Broadcast.Adapters, tc.adapters) || c.PubSub.Adapter != tc.pubsub {
			t.Errorf("%s: broker %q adapters %v pubsub %q", tc.name, c.Broker.Adapter, c.Broadcast.Adapters, c.PubSub.Adapter)
		}
	}
}

// TestPresetsNone: an explicit list (none, or any list) disables detection.
func TestPresetsNone(t *testing.T) {
	for _, v := range []string{"none", "broker", "unknown"} {
		c := mustRun(t, []string{"--presets=" + v}, flyEnv())
		if slices.Contains(c.ActivePresets, "fly") || c.Server.Host != "localhost" {
			t.Errorf("--presets=%s: fly still applied (%v)", v, c.ActivePresets)
		}
	}
	if c := mustRun(t, nil, flyEnv("ANYCABLE_PRESETS", "none")); len(c.ActivePresets) != 0 {
		t.Errorf("ANYCABLE_PRESETS=none: %v", c.ActivePresets)
	}
}
