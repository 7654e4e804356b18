package config

// Config is the effective configuration. Each field's comment names the flag
// it comes from; the flag table (flags.go) maps flags, env vars and TOML keys
// to these fields. After Parse (or Finalize) derived values are filled in:
// secrets, ports, presets, pub/sub adapter.
type Config struct {
	// ConfigPath is --config-path: the TOML file to read ("" = auto-discover).
	ConfigPath string
	// IgnoreConfigPath is --ignore-config-path: read no TOML file at all.
	IgnoreConfigPath bool
	// ConfigFile is the TOML file actually loaded ("" when none); not a flag.
	ConfigFile string

	// NodeID is --node_id (random 6-char id when not given).
	NodeID string
	// Presets is --presets (comma list); empty means auto-detect.
	Presets []string
	// ActivePresets are the presets actually applied (given or detected);
	// not a flag.
	ActivePresets []string
	// Secret is --secret: the application secret other secrets derive from.
	Secret string
	// Public is --public: noauth + public streams + no broadcast auth.
	Public bool
	// NoAuth is --noauth: accept every connection without RPC Connect.
	NoAuth bool

	Server       ServerConfig
	WS           WSConfig
	RPC          RPCConfig
	Disconnect   DisconnectConfig
	Shutdown     ShutdownConfig
	Broadcast    BroadcastConfig
	PubSub       PubSubConfig
	Broker       BrokerConfig
	Redis        RedisConfig
	NATS         NATSConfig
	EmbeddedNATS EmbeddedNATSConfig
	JWT          JWTConfig
	Streams      StreamsConfig
	SSE          SSEConfig
	Pusher       PusherConfig
	DS           DSConfig
	API          APIConfig
	Poll         PollConfig
	Apollo       ApolloConfig
	OCPP         OCPPConfig
	Metrics      MetricsConfig
	Logging      LoggingConfig

	// Warnings collects deprecation notices and ignored file keys, for the
	// caller to log at start.
	Warnings []string

	// explicit holds the names (flag names; TOML keys for TOML-only
	// settings) of values set by a flag, env var or the file.
	explicit map[string]struct{}
	// finalized guards Finalize against running twice.
	finalized bool
}

// ServerConfig is the main HTTP/WebSocket listener.
type ServerConfig struct {
	Host           string   // --host
	Port           int      // --port
	Path           []string // --path (comma list)
	HealthPath     string   // --health-path
	MaxConn        int      // --max-conn
	AllowedOrigins []string // --allowed_origins (lower-cased comma list)
	SSLCert        string   // --ssl_cert
	SSLKey         string   // --ssl_key
	NetpollEnabled bool     // --netpoll_enabled (Pro)
	Poller         string   // --poller: epoll or netpoll (densecable only)
	ReusePort      bool     // --reuse_port: SO_REUSEPORT on the listeners (densecable only)
}

// WSConfig is per-connection WebSocket and ping behaviour.
type WSConfig struct {
	ReadBufferSize         int    // --read_buffer_size
	WriteBufferSize        int    // --write_buffer_size
	MaxMessageSize         int    // --max_message_size
	WriteTimeout           int    // --ws_write_timeout (s)
	FrameTimeout           int    // --ws_frame_timeout (s)
	MaxPendingSize         uint64 // --ws_max_pending_size (bytes; 0 = unlimited)
	EnableCompression      bool   // --enable_ws_compression
	CompressionTakeover    bool   // --ws_compression_context_takeover (densecable only)
	PingInterval           int    // --ping_interval (s)
	PingTimestampPrecision string // --ping_timestamp_precision: s, ms, ns
	PongTimeout            int    // --pong_timeout (s; 0 = off)
	EnableNativePings      bool   // --enable_native_pings
}

// RPCConfig is the connection to the application's RPC server.
type RPCConfig struct {
	Host               string   // --rpc_host
	NoRPC              bool     // --norpc
	Impl               string   // --rpc_impl: "", grpc, http, none
	Concurrency        int      // --rpc_concurrency (0 = adaptive, Pro)
	ConcurrencyInitial int      // --rpc_concurrency_initial (Pro)
	ConcurrencyMin     int      // --rpc_concurrency_min (Pro)
	ConcurrencyMax     int      // --rpc_concurrency_max (Pro)
	EnableTLS          bool     // --rpc_enable_tls
	TLSVerify          bool     // --rpc_tls_verify
	TLSRootCA          string   // --rpc_tls_root_ca (path or inline PEM)
	MaxCallRecvSize    int      // --rpc_max_call_recv_size
	MaxCallSendSize    int      // --rpc_max_call_send_size
	RequestTimeout     int      // --rpc_request_timeout (ms)
	CommandTimeout     int      // --rpc_command_timeout (ms)
	Headers            []string // --headers (lower-cased comma list)
	ProxyCookies       []string // --proxy-cookies
	HTTPSecret         string   // --http_rpc_secret (derived from secret)
	HTTPTimeout        int      // --http_rpc_timeout (deprecated, ms)
}

// DisconnectConfig is the Disconnect RPC queue.
type DisconnectConfig struct {
	Mode        string // --disconnect_mode: auto, always, never
	Rate        int    // --disconnect_rate (calls/s)
	BacklogSize int    // --disconnect_backlog_size
	Timeout     int    // --disconnect_timeout (deprecated, warning only)
	Disable     bool   // --disable_disconnect (deprecated: mode=never)
}

// ShutdownConfig is graceful shutdown.
type ShutdownConfig struct {
	Timeout   int  // --shutdown_timeout (s)
	Delay     int  // --shutdown_delay (s)
	PoolSize  int  // --shutdown_pool_size
	Slowdrain bool // --shutdown_slowdrain (Pro)
}

// BroadcastConfig is how the application's broadcasts come in.
type BroadcastConfig struct {
	Adapters                    []string // --broadcast_adapter: http, redis, redisx, nats
	Key                         string   // --broadcast_key (derived from secret; "" = no auth)
	HTTPPort                    int      // --http_broadcast_port
	HTTPPath                    string   // --http_broadcast_path
	HTTPSecret                  string   // --http_broadcast_secret (deprecated alias of Key)
	HTTPCORS                    bool     // --http_broadcast_cors
	RedisChannel                string   // --redis_channel
	NATSChannel                 string   // --nats_channel
	RedisXStream                string   // --redisx_stream
	RedisXGroup                 string   // --redisx_group
	RedisXReadBlockMilliseconds int      // --redisx_read_block_milliseconds
	HubGopoolSize               int      // --hub_gopool_size
}

// PubSubConfig is node-to-node pub/sub.
type PubSubConfig struct {
	Adapter      string // --pubsub: "", redis, nats
	RedisChannel string // [redis_pubsub] channel (TOML only)
	NATSChannel  string // [nats_pubsub] channel (TOML only)
}

// BrokerConfig is history, session cache and presence.
type BrokerConfig struct {
	Adapter      string // --broker: "", memory, nats, redis (Pro)
	HistoryLimit int    // --history_limit
	HistoryTTL   int    // --history_ttl (s)
	SessionsTTL  int    // --sessions_ttl (s)
	PresenceTTL  int    // --presence_ttl (s)
}

// RedisConfig is the shared Redis connection.
type RedisConfig struct {
	URL                       string // --redis_url
	Sentinels                 string // --redis_sentinels
	SentinelDiscoveryInterval int    // --redis_sentinel_discovery_interval (s)
	KeepaliveInterval         int    // --redis_keepalive_interval (s)
	TLSVerify                 bool   // --redis_tls_verify
	TLSCACertPath             string // --redis_tls_ca_cert_path
	TLSClientCertPath         string // --redis_tls_client_cert_path
	TLSClientKeyPath          string // --redis_tls_client_key_path
	DisableCache              bool   // --redis_disable_cache
	MaxReconnectAttempts      int    // [redis] max_reconnect_attempts (TOML only)
}

// NATSConfig is the shared NATS connection.
type NATSConfig struct {
	Servers              string // --nats_servers (comma list)
	DontRandomizeServers bool   // --nats_dont_randomize_servers
	MaxReconnectAttempts int    // [nats] max_reconnect_attempts (TOML only)
}

// EmbeddedNATSConfig is the in-process NATS server.
type EmbeddedNATSConfig struct {
	Enabled               bool     // --embed_nats
	Addr                  string   // --enats_addr
	Cluster               string   // --enats_cluster
	ClusterName           string   // --enats_cluster_name
	ClusterRoutes         []string // --enats_cluster_routes (comma list)
	Gateway               string   // --enats_gateway
	Gateways              []string // --enats_gateways (semicolon list)
	GatewayAdvertise      string   // --enats_gateway_advertise
	StoreDir              string   // --enats_store_dir
	ServerName            string   // --enats_server_name
	Debug                 bool     // --enats_debug
	Trace                 bool     // --enats_trace
	MaxPayload            int      // --enats_max_payload (0 = 1048576)
	JetStream             bool     // [embedded_nats] jetstream (TOML only)
	JetStreamReadyTimeout int      // [embedded_nats] jetstream_ready_timeout (TOML only, s)
}

// JWTConfig is JWT identification.
type JWTConfig struct {
	Secret    string // --jwt_secret (= secret)
	Param     string // --jwt_param
	Enforce   bool   // --enforce_jwt
	IDKey     string // --jwt_id_key (deprecated)
	IDParam   string // --jwt_id_param (deprecated)
	IDEnforce bool   // --jwt_id_enforce (deprecated)
}

// StreamsConfig is signed/public streams, Turbo and CableReady.
type StreamsConfig struct {
	Secret              string // --streams_secret (= secret)
	Public              bool   // --public_streams
	Whisper             bool   // --streams_whisper
	Presence            bool   // --streams_presence
	PubSubChannel       string // [streams] pubsub_channel (TOML only)
	TurboStreams        bool   // --turbo_streams
	TurboStreamsSecret  string // --turbo_streams_secret (= streams secret)
	CableReady          bool   // --cable_ready (alias --cable_ready_streams)
	CableReadySecret    string // --cable_ready_secret (= streams secret)
	TurboRailsKey       string // --turbo_rails_key (deprecated)
	TurboRailsCleartext bool   // --turbo_rails_cleartext (deprecated, no effect)
	CableReadyKey       string // --cable_ready_key (deprecated)
	CableReadyCleartext bool   // --cable_ready_cleartext (deprecated, no effect)
}

// SSEConfig is the Server-Sent Events transport.
type SSEConfig struct {
	Enabled bool   // --sse
	Path    string // --sse_path
}

// PusherConfig is Pusher protocol compatibility.
type PusherConfig struct {
	AppID   string // --pusher_app_id
	AppKey  string // --pusher_app_key
	Secret  string // --pusher_secret (= secret)
	APIPort int    // --pusher_api_port (0 = main port)
	// --pusher_webhook_url and --pusher_webhook_events (nil = all).
	WebhookURL, WebhookEvents []string
	// ClientEventRate is --pusher_client_event_rate: client events a
	// connection may send per second (0 = no limit).
	ClientEventRate int
}

// DSConfig is the Durable Streams read endpoint.
type DSConfig struct {
	Enabled      bool   // --ds
	Path         string // --ds_path
	SkipAuth     bool   // --ds_skip_auth
	PollInterval int    // --ds_poll_interval (s)
	SSETTL       int    // --ds_sse_ttl (s)
}

// APIConfig is the REST API.
type APIConfig struct {
	Host        string // [api] host (TOML only)
	Port        int    // --api_port (0 = main port)
	Path        string // --api_path
	Secret      string // --api_secret (derived from secret)
	CORSHeaders bool   // [api] cors_headers (TOML only)
}

// PollConfig is the long-polling transport (Pro).
type PollConfig struct {
	Enabled          bool   // --poll
	Path             string // --poll_path
	Interval         int    // --poll_interval (s)
	FlushInterval    int    // --poll_flush_interval (ms)
	MaxRequestSize   int    // --poll_max_request_size (bytes)
	KeepaliveTimeout int    // --poll_keepalive_timeout (s)
}

// ApolloConfig is the Apollo GraphQL protocol (Pro).
type ApolloConfig struct {
	Path    string // --graphql_path ("" = off)
	Channel string // --graphql_channel
	Action  string // --graphql_action
}

// OCPPConfig is the OCPP 1.6 protocol (Pro).
type OCPPConfig struct {
	Path            string // --ocpp_path ("" = off)
	GranularActions bool   // --ocpp_granular_actions
}

// MetricsConfig is instrumentation.
type MetricsConfig struct {
	Log                  bool              // --metrics_log
	RotateInterval       int               // --metrics_rotate_interval (s)
	LogInterval          int               // --metrics_log_interval (deprecated)
	LogFilter            []string          // --metrics_log_filter
	LogFormatter         string            // --metrics_log_formatter
	HTTP                 string            // --metrics_http (path; "" = off)
	Host                 string            // --metrics_host
	Port                 int               // --metrics_port (0 = main port)
	Tags                 map[string]string // --metrics_tags (k:v,k2:v2)
	StatsRefreshInterval int               // --stats_refresh_interval (s)
	StatsdHost           string            // --statsd_host
	StatsdPrefix         string            // --statsd_prefix
	StatsdMaxPacketSize  int               // --statsd_max_packet_size
	StatsdTagsFormat     string            // --statsd_tags_format
}

// LoggingConfig is log output.
type LoggingConfig struct {
	Level  string // --log_level: debug, info, warn, error
	Format string // --log_format: text, json
	Debug  bool   // --debug (forces Level=debug)
}
