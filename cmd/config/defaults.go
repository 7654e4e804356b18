package config

import (
	"crypto/rand"
)

// Built-in defaults that other rules compare against.
const (
	DefaultPort          = 8080
	DefaultRedisURL      = "redis://localhost:6379"
	DefaultNATSServers   = "nats://127.0.0.1:4222"
	DefaultHTTPBroadcast = 8090 // HTTP broadcast port when no key is set
	DefaultRPCHost       = "localhost:50051"
)

// defaultBroadcastAdapters is anycable-go's legacy default.
var defaultBroadcastAdapters = []string{"http", "redis"}

// Default returns the built-in configuration (no flags, env or file) with a
// fresh random NodeID. It is not finalized: secrets are not derived yet.
func Default() *Config {
	return &Config{
		NodeID: randomID(6),
		Server: ServerConfig{
			Host:           "localhost",
			Port:           DefaultPort,
			Path:           []string{"/cable"},
			HealthPath:     "/health",
			NetpollEnabled: true,
			Poller:         "epoll",
		},
		WS: WSConfig{
			ReadBufferSize:         1024,
			WriteBufferSize:        1024,
			MaxMessageSize:         65536,
			WriteTimeout:           2,
			FrameTimeout:           30,
			MaxPendingSize:         1048576,
			PingInterval:           3,
			PingTimestampPrecision: "s",
		},
		RPC: RPCConfig{
			Host:               DefaultRPCHost,
			Concurrency:        28,
			ConcurrencyInitial: 25,
			ConcurrencyMin:     5,
			ConcurrencyMax:     100,
			TLSVerify:          true,
			CommandTimeout:     3000,
			Headers:            []string{"cookie"},
		},
		Disconnect: DisconnectConfig{Mode: "auto", Rate: 100, BacklogSize: 4096},
		Shutdown:   ShutdownConfig{Timeout: 30, PoolSize: 16},
		Broadcast: BroadcastConfig{
			Adapters:                    append([]string(nil), defaultBroadcastAdapters...),
			HTTPPath:                    "/_broadcast",
			RedisChannel:                "__anycable__",
			NATSChannel:                 "__anycable__",
			RedisXStream:                "__anycable__",
			RedisXGroup:                 "bx",
			RedisXReadBlockMilliseconds: 2000,
			HubGopoolSize:               16,
		},
		PubSub: PubSubConfig{
			RedisChannel: "__anycable_internal__",
			NATSChannel:  "__anycable_internal__",
		},
		Broker: BrokerConfig{HistoryLimit: 100, HistoryTTL: 300, SessionsTTL: 300, PresenceTTL: 15},
		Pusher: PusherConfig{ClientEventRate: 10},
		Redis: RedisConfig{
			URL:                       DefaultRedisURL,
			SentinelDiscoveryInterval: 30,
			KeepaliveInterval:         30,
			MaxReconnectAttempts:      5,
		},
		NATS: NATSConfig{Servers: DefaultNATSServers, MaxReconnectAttempts: 5},
		EmbeddedNATS: EmbeddedNATSConfig{
			Addr:                  "nats://127.0.0.1:4222",
			ClusterName:           "anycable-cluster",
			JetStreamReadyTimeout: 30,
		},
		JWT:     JWTConfig{Param: "jid"},
		Streams: StreamsConfig{Presence: true, PubSubChannel: "$pubsub"},
		SSE:     SSEConfig{Path: "/events"},
		DS:      DSConfig{Path: "/ds", PollInterval: 10, SSETTL: 60},
		API:     APIConfig{Path: "/api"},
		Poll: PollConfig{
			Path:             "/lp",
			Interval:         15,
			FlushInterval:    500,
			MaxRequestSize:   65536,
			KeepaliveTimeout: 5,
		},
		Apollo: ApolloConfig{Channel: "GraphqlChannel", Action: "execute"},
		OCPP:   OCPPConfig{GranularActions: true},
		Metrics: MetricsConfig{
			RotateInterval:       15,
			StatsRefreshInterval: 5,
			StatsdPrefix:         "anycable_go.",
			StatsdMaxPacketSize:  1400,
			StatsdTagsFormat:     "datadog",
		},
		Logging:  LoggingConfig{Level: "info", Format: "text"},
		explicit: map[string]struct{}{},
	}
}

// idAlphabet is nanoid's URL-safe alphabet (64 symbols, so a byte's low six
// bits pick a symbol without bias).
const idAlphabet = "useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict"

// randomID returns n random symbols from idAlphabet.
func randomID(n int) string {
	buf := make([]byte, n)
	_, _ = rand.Read(buf) // crypto/rand.Read never fails on supported platforms
	for i, b := range buf {
		buf[i] = idAlphabet[b&63]
	}
	return string(buf)
}
