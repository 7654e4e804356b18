package config

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestModes(t *testing.T) {
	c := mustRun(t, []string{"--debug", "--log_level=error"}, nil)
	if c.Logging.Level != "debug" {
		t.Errorf("--debug: level %q", c.Logging.Level)
	}
	c = mustRun(t, []string{"--norpc"}, nil)
	if c.RPC.Impl != "none" || c.RPCImplementation() != "none" || !c.RPC.NoRPC {
		t.Errorf("--norpc: impl %q", c.RPC.Impl)
	}
	c = mustRun(t, []string{"--rpc_impl=none"}, nil)
	if !c.RPC.NoRPC {
		t.Error("rpc_impl=none must imply NoRPC")
	}
	c = mustRun(t, []string{"--public", "--secret=abc"}, nil)
	if !c.NoAuth || !c.Streams.Public || c.Broadcast.Key != "" || !c.APIEnabled() {
		t.Errorf("--public: noauth=%v public_streams=%v key=%q", c.NoAuth, c.Streams.Public, c.Broadcast.Key)
	}
	if c.Streams.Secret != "abc" {
		t.Errorf("--public must keep the streams secret, got %q", c.Streams.Secret)
	}
}

func TestRPCSettings(t *testing.T) {
	c := mustRun(t, []string{"--rpc_concurrency=0"}, nil)
	if c.RPC.Concurrency != 0 {
		t.Errorf("rpc_concurrency=0 must stay 0 (adaptive), got %d", c.RPC.Concurrency)
	}
	if c := mustRun(t, nil, nil); c.RPC.Concurrency != 28 || c.RPCImplementation() != "grpc" {
		t.Errorf("defaults: concurrency %d impl %q", c.RPC.Concurrency, c.RPCImplementation())
	}
	if c := mustRun(t, []string{"--rpc_host=https://app/_anycable"}, nil); c.RPCImplementation() != "http" || c.HTTPRPCTimeout() != 3000 {
		t.Errorf("http rpc: impl %q timeout %d", c.RPCImplementation(), c.HTTPRPCTimeout())
	}
	if c := mustRun(t, []string{"--rpc_request_timeout=500"}, nil); c.HTTPRPCTimeout() != 500 {
		t.Errorf("request timeout: %d", c.HTTPRPCTimeout())
	}
	if c := mustRun(t, []string{"--rpc_request_timeout=500", "--http_rpc_timeout=700"}, nil); c.HTTPRPCTimeout() != 700 {
		t.Errorf("deprecated http timeout: %d", c.HTTPRPCTimeout())
	}
	if err := runErr([]string{"--rpc_concurrency=0", "--rpc_concurrency_min=50", "--rpc_concurrency_max=10"}, nil); err == nil {
		t.Error("min above max accepted")
	}
}

func TestLists(t *testing.T) {
	c := mustRun(t, []string{"--path=/cable, /admin/cable/*,,/accounts/{tenant}/cable",
		"--headers=Cookie,X-API-Key", "--allowed_origins=*.Example.com,WWW.foo.io",
		"--enats_gateways=a:nats://x:1,nats://y:1;b:nats://z:1", "--metrics_tags=env:prod, region:eu"}, nil)
	want := map[string][]string{
		"path":     {"/cable", "/admin/cable/*", "/accounts/{tenant}/cable"},
		"headers":  {"cookie", "x-api-key"},
		"origins":  {"*.example.com", "www.foo.io"},
		"gateways": {"a:nats://x:1,nats://y:1", "b:nats://z:1"},
	}
	got := map[string][]string{
		"path": c.Server.Path, "headers": c.RPC.Headers, "origins": c.Server.AllowedOrigins, "gateways": c.EmbeddedNATS.Gateways,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("lists:\n got %v\nwant %v", got, want)
	}
	if !reflect.DeepEqual(c.Metrics.Tags, map[string]string{"env": "prod", "region": "eu"}) {
		t.Errorf("tags: %v", c.Metrics.Tags)
	}
}

func TestBroadcastAdapters(t *testing.T) {
	c := mustRun(t, nil, nil)
	if !slices.Equal(c.Broadcast.Adapters, []string{"http", "redis"}) || !c.HasBroadcastAdapter("redis") {
		t.Errorf("default adapters %v", c.Broadcast.Adapters)
	}
	if c.PubSub.Adapter != "" {
		t.Errorf("default pubsub %q, want none", c.PubSub.Adapter)
	}
	if c := mustRun(t, []string{"--broadcast_adapter=HTTP,NATS"}, nil); !slices.Equal(c.Broadcast.Adapters, []string{"http", "nats"}) {
		t.Errorf("adapters %v", c.Broadcast.Adapters)
	}
}

func TestCableReadyAlias(t *testing.T) {
	c := mustRun(t, []string{"--cable_ready_streams"}, nil)
	if !c.Streams.CableReady || !c.ExplicitlySet("cable_ready") || !c.ExplicitlySet("cable_ready_streams") {
		t.Error("--cable_ready_streams did not set cable_ready")
	}
}

// TestImplicitPubSub: pubsub becomes redis when Redis is clearly in use.
func TestImplicitPubSub(t *testing.T) {
	cases := []struct {
		args []string
		env  func(string) string
		want string
	}{
		{nil, nil, ""},
		{[]string{"--redis_url=redis://other:6379"}, nil, "redis"},
		{[]string{"--redis_url=redis://localhost:6379"}, nil, ""}, // still the default URL
		{nil, envOf("REDIS_URL", "redis://r:6379/1"), "redis"},
		{[]string{"--broadcast_adapter=http,redisx"}, nil, "redis"},
		{[]string{"--broker=redis"}, nil, "redis"},
		{[]string{"--broker=redis", "--pubsub=nats"}, nil, "nats"},
		{[]string{"--broker=memory"}, nil, ""},
	}
	for _, tc := range cases {
		if c := mustRun(t, tc.args, tc.env); c.PubSub.Adapter != tc.want {
			t.Errorf("%q: pubsub %q, want %q", tc.args, c.PubSub.Adapter, tc.want)
		}
	}
}

func TestPubSubChannelCollision(t *testing.T) {
	c := mustRun(t, []string{"--pubsub=redis", "--redis_channel=__anycable_internal__"}, nil)
	if c.PubSub.RedisChannel != "__anycable_internal__-int" {
		t.Errorf("colliding channel: %q", c.PubSub.RedisChannel)
	}
	c = mustRun(t, []string{"--pubsub=redis"}, nil)
	if c.PubSub.RedisChannel != "__anycable_internal__" {
		t.Errorf("distinct channels changed: %q", c.PubSub.RedisChannel)
	}
}

func TestEmbeddedNATSServers(t *testing.T) {
	c := mustRun(t, []string{"--embed_nats", "--enats_addr=nats://127.0.0.1:4333"}, nil)
	if c.NATS.Servers != "nats://127.0.0.1:4333" {
		t.Errorf("nats_servers with embed_nats: %q", c.NATS.Servers)
	}
	c = mustRun(t, []string{"--embed_nats", "--nats_servers=nats://x:1"}, nil)
	if c.NATS.Servers != "nats://x:1" {
		t.Errorf("explicit nats_servers overridden: %q", c.NATS.Servers)
	}
}

// TestDeprecatedFlags covers each row of the deprecation table.
func TestDeprecatedFlags(t *testing.T) {
	cases := []struct {
		args  []string
		check func(*Config) bool
	}{
		{[]string{"--disable_disconnect"}, func(c *Config) bool { return c.Disconnect.Mode == "never" }},
		{[]string{"--metrics_log_interval=7"}, func(c *Config) bool { return c.Metrics.RotateInterval == 15 }},
		{[]string{"--metrics_log_interval=7", "--metrics_rotate_interval=0"}, func(c *Config) bool { return c.Metrics.RotateInterval == 7 }},
		{[]string{"--turbo_rails_key=tk"}, func(c *Config) bool { return c.Streams.TurboStreams && c.Streams.TurboStreamsSecret == "tk" }},
		{[]string{"--cable_ready_key=ck"}, func(c *Config) bool { return c.Streams.CableReady && c.Streams.CableReadySecret == "ck" }},
		{[]string{"--jwt_id_key=jk"}, func(c *Config) bool { return c.JWT.Secret == "jk" }},
		{[]string{"--jwt_id_key=jk", "--jwt_secret=js"}, func(c *Config) bool { return c.JWT.Secret == "js" }},
		{[]string{"--jwt_id_key=jk", "--secret=s"}, func(c *Config) bool { return c.JWT.Secret == "jk" }},
		{[]string{"--jwt_id_param=token"}, func(c *Config) bool { return c.JWT.Param == "jid" }}, // reference quirk
		{[]string{"--jwt_id_param=token", "--jwt_param="}, func(c *Config) bool { return c.JWT.Param == "token" }},
		{[]string{"--jwt_id_enforce"}, func(c *Config) bool { return c.JWT.Enforce }},
		{[]string{"--http_broadcast_secret=hb"}, func(c *Config) bool { return c.Broadcast.Key == "hb" && c.Broadcast.HTTPPort == 8080 }},
		{[]string{"--disconnect_timeout=10"}, func(c *Config) bool { return c.Shutdown.Timeout == 30 }},
		{[]string{"--turbo_rails_cleartext"}, func(c *Config) bool { return !c.Streams.TurboStreams }},
		{[]string{"--cable_ready_cleartext"}, func(c *Config) bool { return !c.Streams.CableReady }},
		{[]string{"--http_rpc_timeout=100"}, func(c *Config) bool { return c.HTTPRPCTimeout() == 100 }},
	}
	for _, tc := range cases {
		c := mustRun(t, tc.args, nil)
		if !tc.check(c) {
			t.Errorf("%q: effect not applied", tc.args)
		}
		name := strings.SplitN(strings.TrimPrefix(tc.args[0], "--"), "=", 2)[0]
		if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "DEPRECATION WARNING") || !strings.Contains(c.Warnings[0], "--"+name) {
			t.Errorf("%q: warnings %q", tc.args, c.Warnings)
		}
	}
	if c := mustRun(t, []string{"--host=x"}, nil); len(c.Warnings) != 0 {
		t.Errorf("warnings without deprecated flags: %q", c.Warnings)
	}
	// Deprecated env vars warn too.
	if c := mustRun(t, nil, envOf("ANYCABLE_DISABLE_DISCONNECT", "true")); len(c.Warnings) != 1 || c.Disconnect.Mode != "never" {
		t.Errorf("deprecated env: %q mode %q", c.Warnings, c.Disconnect.Mode)
	}
}

func TestExplicitlySet(t *testing.T) {
	files := memFiles{"/c.toml": "[streams]\npubsub_channel = \"$x\"\n[server]\nhost = \"h\"\n"}.source()
	c := mustRun(t, []string{"--config-path=/c.toml", "--max-conn=3"}, envOf("ANYCABLE_RPC_HOST", "r:1"), files)
	for _, name := range []string{"host", "max-conn", "rpc_host", "streams.pubsub_channel", "config-path"} {
		if !c.ExplicitlySet(name) {
			t.Errorf("%s not reported as set", name)
		}
	}
	for _, name := range []string{"port", "secret", "nonexistent", "broadcast_key", "redis.max_reconnect_attempts"} {
		if c.ExplicitlySet(name) {
			t.Errorf("%s reported as set", name)
		}
	}
}

func TestFinalizeProgrammatic(t *testing.T) {
	c := Default()
	c.Secret = "abc"
	if err := c.Finalize(nil); err != nil {
		t.Fatal(err)
	}
	if c.Broadcast.Key != hmacHex("abc", "broadcast-cable") {
		t.Errorf("key %q", c.Broadcast.Key)
	}
	key := c.Broadcast.Key
	c.Secret = "changed"
	if err := c.Finalize(nil); err != nil || c.Broadcast.Key != key {
		t.Error("second Finalize changed the config")
	}
	bad := Default()
	bad.Disconnect.Mode = "sometimes"
	if err := bad.Finalize(nil); err == nil {
		t.Error("invalid disconnect mode accepted")
	}
}
