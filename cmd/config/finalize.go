package config

import (
	"fmt"
	"slices"
	"strings"
)

// Finalize turns the given settings into the effective configuration:
// deprecated aliases, --debug/--norpc/--public, presets, secrets derived from
// --secret, the HTTP broadcast port, the implicit pub/sub adapter, then
// validation. env supplies platform variables for presets (may be nil).
// Parse calls it; call it yourself only on a Config built from Default().
// A second call does nothing.
func (c *Config) Finalize(env func(string) string) error {
	if c.finalized {
		return nil
	}
	if env == nil {
		env = func(string) string { return "" }
	}
	if c.explicit == nil {
		c.explicit = map[string]struct{}{}
	}
	c.applyDeprecated()
	c.applyModes()
	if err := c.applyPresets(env); err != nil {
		return err
	}
	c.resolveSecrets()
	c.deriveNetwork()
	if err := c.validate(); err != nil {
		return err
	}
	if c.WS.CompressionTakeover && !c.WS.EnableCompression {
		c.Warnings = append(c.Warnings, "--ws_compression_context_takeover has no effect without --enable_ws_compression")
	}
	c.finalized = true
	return nil
}

// applyDeprecated maps deprecated flags onto their replacements and warns
// about each one that was given.
func (c *Config) applyDeprecated() {
	for i := range flagTable {
		d := &flagTable[i]
		if d.vis == deprecated && c.isSet(d.name) {
			c.Warnings = append(c.Warnings, fmt.Sprintf("DEPRECATION WARNING: --%s is deprecated: %s",
				d.name, strings.TrimPrefix(d.usage, "DEPRECATED: ")))
		}
	}
	if c.Disconnect.Disable {
		c.Disconnect.Mode = "never"
	}
	if c.Metrics.LogInterval > 0 && c.Metrics.RotateInterval == 0 {
		c.Metrics.RotateInterval = c.Metrics.LogInterval
	}
	if c.Streams.TurboRailsKey != "" {
		c.Streams.TurboStreams = true
		if c.Streams.TurboStreamsSecret == "" {
			c.Streams.TurboStreamsSecret = c.Streams.TurboRailsKey
		}
	}
	if c.Streams.CableReadyKey != "" {
		c.Streams.CableReady = true
		if c.Streams.CableReadySecret == "" {
			c.Streams.CableReadySecret = c.Streams.CableReadyKey
		}
	}
	if c.JWT.IDKey != "" && c.JWT.Secret == "" {
		c.JWT.Secret = c.JWT.IDKey
	}
	// jwt_param defaults to "jid", so this only applies when the user set
	// jwt_param to "" (reference quirk, kept on purpose).
	if c.JWT.IDParam != "" && c.JWT.Param == "" {
		c.JWT.Param = c.JWT.IDParam
	}
	if c.JWT.IDEnforce {
		c.JWT.Enforce = true
	}
	// --http_broadcast_secret is read in resolveSecrets; --disconnect_timeout,
	// --http_rpc_timeout and the *_cleartext flags only warn.
}

// applyModes applies the shortcut switches.
func (c *Config) applyModes() {
	if c.Logging.Debug {
		c.Logging.Level = "debug"
	}
	c.Logging.Level = strings.ToLower(c.Logging.Level)
	c.Logging.Format = strings.ToLower(c.Logging.Format)
	if c.RPC.NoRPC {
		c.RPC.Impl = "none"
	}
	c.RPC.NoRPC = c.RPC.Impl == "none"
	if c.Public {
		c.NoAuth = true
		c.Streams.Public = true
		c.Broadcast.Key = noneSecret
	}
}

// deriveNetwork fills values that depend on other settings.
func (c *Config) deriveNetwork() {
	if c.Broadcast.HTTPPort == 0 {
		if c.Broadcast.Key != "" {
			c.Broadcast.HTTPPort = c.Server.Port
		} else {
			c.Broadcast.HTTPPort = DefaultHTTPBroadcast
		}
	}
	if c.PubSub.Adapter == "" && (c.Redis.URL != DefaultRedisURL ||
		slices.Contains(c.Broadcast.Adapters, "redisx") || c.Broker.Adapter == "redis") {
		c.PubSub.Adapter = "redis"
	}
	// The legacy redis broadcaster and the pub/sub must not share a channel.
	if c.PubSub.Adapter == "redis" && slices.Contains(c.Broadcast.Adapters, "redis") &&
		c.PubSub.RedisChannel == c.Broadcast.RedisChannel {
		c.PubSub.RedisChannel += "-int"
	}
	if c.EmbeddedNATS.Enabled && !c.isSet("nats_servers") {
		c.NATS.Servers = c.EmbeddedNATS.Addr
	}
}

// choice is a setting restricted to a fixed set of values.
type choice struct {
	flag    string
	value   string
	allowed []string
}

// validate rejects values the server cannot run with.
func (c *Config) validate() error {
	choices := []choice{
		{"log_level", c.Logging.Level, []string{"debug", "info", "warn", "error"}},
		{"log_format", c.Logging.Format, []string{"text", "json"}},
		{"disconnect_mode", c.Disconnect.Mode, []string{"auto", "always", "never"}},
		{"ping_timestamp_precision", c.WS.PingTimestampPrecision, []string{"s", "ms", "ns"}},
		{"statsd_tags_format", c.Metrics.StatsdTagsFormat, []string{"datadog", "influxdb", "graphite"}},
		{"rpc_impl", c.RPC.Impl, []string{"", "grpc", "http", "none"}},
		{"broker", c.Broker.Adapter, []string{"", "none", "memory", "nats", "redis"}},
		{"pubsub", c.PubSub.Adapter, []string{"", "none", "redis", "nats"}},
	}
	for _, a := range c.Broadcast.Adapters {
		choices = append(choices, choice{"broadcast_adapter", a, []string{"http", "redis", "redisx", "nats"}})
	}
	for _, ch := range choices {
		if !slices.Contains(ch.allowed, ch.value) {
			return fmt.Errorf("invalid value %q for --%s: must be one of %s", ch.value, ch.flag, listAllowed(ch.allowed))
		}
	}
	ports := []struct {
		flag string
		port int
	}{
		{"port", c.Server.Port}, {"http_broadcast_port", c.Broadcast.HTTPPort},
		{"metrics_port", c.Metrics.Port}, {"api_port", c.API.Port}, {"pusher_api_port", c.Pusher.APIPort},
	}
	for _, p := range ports {
		if p.port > 65535 {
			return fmt.Errorf("invalid value %d for --%s: ports are 0-65535", p.port, p.flag)
		}
	}
	// Zero here would mean a zero-period ticker or a division by zero.
	positive := []struct {
		flag string
		v    int
	}{
		{"ping_interval", c.WS.PingInterval}, {"disconnect_rate", c.Disconnect.Rate},
		{"hub_gopool_size", c.Broadcast.HubGopoolSize}, {"shutdown_pool_size", c.Shutdown.PoolSize},
		{"stats_refresh_interval", c.Metrics.StatsRefreshInterval}, {"ws_frame_timeout", c.WS.FrameTimeout},
	}
	for _, p := range positive {
		if p.v <= 0 {
			return fmt.Errorf("invalid value %d for --%s: must be at least 1", p.v, p.flag)
		}
	}
	if c.RPC.Concurrency == 0 && c.RPC.ConcurrencyMin > c.RPC.ConcurrencyMax {
		return fmt.Errorf("invalid adaptive RPC concurrency: --rpc_concurrency_min (%d) is above --rpc_concurrency_max (%d)",
			c.RPC.ConcurrencyMin, c.RPC.ConcurrencyMax)
	}
	return nil
}

func listAllowed(vals []string) string {
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		if v == "" {
			v = `"" (unset)`
		}
		out = append(out, v)
	}
	return strings.Join(out, ", ")
}
