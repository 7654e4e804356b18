package config

import (
	"fmt"
	"strconv"
)

// applyPresets runs the presets named by --presets, or the auto-detected
// ones when none are named. Presets only change settings the user did not
// set explicitly. Unknown names (including "none") are ignored, so
// --presets=none just disables detection.
func (c *Config) applyPresets(env func(string) string) error {
	names := c.Presets
	if len(names) == 0 {
		names = detectPresets(env)
	}
	for _, name := range names {
		switch name {
		case "fly":
			if err := c.flyPreset(env); err != nil {
				return fmt.Errorf("fly preset: %w", err)
			}
		case "heroku":
			c.herokuPreset(env)
		case "broker":
			c.brokerPreset()
		default:
			continue
		}
		c.ActivePresets = append(c.ActivePresets, name)
	}
	return nil
}

// detectPresets picks presets from the platform's env vars.
func detectPresets(env func(string) string) []string {
	var out []string
	if env("FLY_APP_NAME") != "" && env("FLY_ALLOC_ID") != "" && env("FLY_REGION") != "" {
		out = append(out, "fly")
	}
	if env("HEROKU_APP_ID") != "" && env("HEROKU_DYNO_ID") != "" {
		out = append(out, "heroku")
	}
	return out
}

// setUnlessExplicit assigns v to *p when the setting id was not given.
func setUnlessExplicit[T any](c *Config, id string, p *T, v T) {
	if !c.isSet(id) {
		*p = v
	}
}

// flyPreset: public host, broadcasts on the main port, and a NATS cluster
// within the region unless Redis is configured.
func (c *Config) flyPreset(env func(string) string) error {
	region, app := env("FLY_REGION"), env("FLY_APP_NAME")
	if region == "" {
		return fmt.Errorf("FLY_REGION env is missing")
	}
	if app == "" {
		return fmt.Errorf("FLY_APP_NAME env is missing")
	}
	alloc := env("FLY_ALLOC_ID")

	setUnlessExplicit(c, "host", &c.Server.Host, "0.0.0.0")
	setUnlessExplicit(c, "http_broadcast_port", &c.Broadcast.HTTPPort, c.Server.Port)

	e := &c.EmbeddedNATS
	setUnlessExplicit(c, "enats_server_name", &e.ServerName, fmt.Sprintf("fly-%s-%s-%s", region, alloc, randomID(3)))
	setUnlessExplicit(c, "enats_addr", &e.Addr, "nats://0.0.0.0:4222")
	setUnlessExplicit(c, "enats_cluster", &e.Cluster, "nats://0.0.0.0:5222")
	setUnlessExplicit(c, "enats_cluster_name", &e.ClusterName, fmt.Sprintf("%s-%s-cluster", app, region))
	setUnlessExplicit(c, "enats_cluster_routes", &e.ClusterRoutes, []string{fmt.Sprintf("nats://%s.%s.internal:5222", region, app)})
	setUnlessExplicit(c, "enats_gateway_advertise", &e.GatewayAdvertise, fmt.Sprintf("%s.%s.internal:7222", region, app))

	redis := c.isSet("redis_url")
	if !redis {
		setUnlessExplicit(c, "broadcast_adapter", &c.Broadcast.Adapters, []string{"http"})
	}
	if !c.isSet("pubsub") {
		switch {
		case redis:
			c.PubSub.Adapter = "redis"
		case !c.isSet("embed_nats") || e.Enabled:
			e.Enabled = true
			c.PubSub.Adapter = "nats"
			setUnlessExplicit(c, "broadcast_adapter", &c.Broadcast.Adapters, []string{"http", "nats"})
		}
	}

	if rpcApp := env("ANYCABLE_FLY_RPC_APP_NAME"); rpcApp != "" {
		setUnlessExplicit(c, "rpc_host", &c.RPC.Host, fmt.Sprintf("dns:///%s.%s.internal:50051", region, rpcApp))
	}
	return nil
}

// herokuPreset: public host, broadcasts on the router-facing $PORT.
func (c *Config) herokuPreset(env func(string) string) {
	setUnlessExplicit(c, "host", &c.Server.Host, "0.0.0.0")
	if port, err := strconv.Atoi(env("PORT")); err == nil && port > 0 {
		setUnlessExplicit(c, "http_broadcast_port", &c.Broadcast.HTTPPort, port)
	}
}

// brokerPreset: turn on a broker plus matching broadcasters and pub/sub,
// on embedded NATS when it runs, else Redis when configured, else memory.
func (c *Config) brokerPreset() {
	enats := c.EmbeddedNATS.Enabled
	redis := c.isSet("redis_url")
	broker, adapters, pubsub := "memory", []string{"http"}, ""
	switch {
	case enats:
		broker, adapters, pubsub = "nats", []string{"http", "nats"}, "nats"
	case redis:
		broker, adapters, pubsub = "redis", []string{"http", "redisx", "redis"}, "redis"
	}
	setUnlessExplicit(c, "broker", &c.Broker.Adapter, broker)
	setUnlessExplicit(c, "broadcast_adapter", &c.Broadcast.Adapters, adapters)
	if pubsub != "" {
		setUnlessExplicit(c, "pubsub", &c.PubSub.Adapter, pubsub)
	}
}
