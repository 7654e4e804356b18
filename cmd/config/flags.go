package config

// area groups flags in -h output and docs, in this order.
type area int

const (
	areaGeneral area = iota
	areaServer
	areaWS
	areaAuth
	areaJWT
	areaStreams
	areaRPC
	areaDisconnect
	areaShutdown
	areaBroadcast
	areaPubSub
	areaBroker
	areaRedis
	areaNATS
	areaENATS
	areaSSE
	areaPusher
	areaDS
	areaAPI
	areaPoll
	areaApollo
	areaOCPP
	areaMetrics
	areaLogging
	areaCount
)

var areaTitles = [areaCount]string{
	"GENERAL", "SERVER", "WEBSOCKET", "AUTHENTICATION", "JWT", "SIGNED STREAMS",
	"RPC", "DISCONNECT QUEUE", "SHUTDOWN", "BROADCASTING", "PUB/SUB", "BROKER",
	"REDIS", "NATS", "EMBEDDED NATS", "SSE", "PUSHER", "DURABLE STREAMS", "API",
	"LONG POLLING (PRO)", "APOLLO GRAPHQL (PRO)", "OCPP (PRO)", "METRICS", "LOGGING",
}

// flagTable lists every setting, in -h and --print-config order within
// each area. It is the single source of truth for names, env vars, TOML keys
// and help text.
var flagTable = []flagDef{
	// General.
	{name: "config-path", kind: kString, noEnv: true, area: areaGeneral,
		usage: "path to the TOML configuration file (default: ./anycable.toml, then /etc/anycable/anycable.toml)",
		field: func(c *Config) any { return &c.ConfigPath }},
	{name: "ignore-config-path", kind: kBool, noEnv: true, area: areaGeneral,
		usage: "ignore any configuration file", field: func(c *Config) any { return &c.IgnoreConfigPath }},
	{name: "print-config", kind: kBool, noEnv: true, area: areaGeneral, special: specialPrintConfig,
		usage: "print the effective configuration as TOML and exit"},
	{name: "help", aliases: []string{"h"}, kind: kBool, noEnv: true, area: areaGeneral, special: specialHelp,
		usage: "show help"},
	{name: "version", aliases: []string{"v"}, kind: kBool, noEnv: true, area: areaGeneral, special: specialVersion,
		usage: "print the version"},
	def("presets", kList, "presets", areaGeneral, "configuration presets: fly, heroku, broker (comma-separated); none disables auto-detection",
		func(c *Config) any { return &c.Presets }, defaultText("auto-detect")),
	def("node_id", kString, "node_id", areaGeneral, "node identifier (logs, telemetry)",
		func(c *Config) any { return &c.NodeID }, hide, defaultText("random")),

	// Server.
	def("host", kString, "server.host", areaServer, "server host",
		func(c *Config) any { return &c.Server.Host }),
	def("port", kInt, "server.port", areaServer, "server port",
		func(c *Config) any { return &c.Server.Port }, alsoEnv("PORT")),
	def("path", kList, "ws.paths", areaServer, "WebSocket endpoint path(s), comma-separated; wildcards and {placeholders} allowed",
		func(c *Config) any { return &c.Server.Path }),
	def("health-path", kString, "server.health_path", areaServer, "HTTP health endpoint path",
		func(c *Config) any { return &c.Server.HealthPath }),
	def("max-conn", kInt, "server.max_conn", areaServer, "max simultaneous TCP connections on the main listener (0 = no limit)",
		func(c *Config) any { return &c.Server.MaxConn }),
	def("allowed_origins", kLowerList, "server.allowed_origins", areaServer, "accepted Origin hosts, comma-separated, *suffix wildcards (empty = no check); also used for CORS",
		func(c *Config) any { return &c.Server.AllowedOrigins }),
	def("ssl_cert", kString, "server.ssl.cert_path", areaServer, "TLS certificate path",
		func(c *Config) any { return &c.Server.SSLCert }),
	def("ssl_key", kString, "server.ssl.key_path", areaServer, "TLS private key path",
		func(c *Config) any { return &c.Server.SSLKey }),
	def("netpoll_enabled", kBool, "server.netpoll_enabled", areaServer, "use the epoll event loop for connection IO (disables WebSocket compression)",
		func(c *Config) any { return &c.Server.NetpollEnabled }, proOnly),
	def("poller", kString, "server.poller", areaServer, "event loop engine: epoll (densecable's own, leanest per connection) or netpoll (cloudwego/netpoll)",
		func(c *Config) any { return &c.Server.Poller }, hide),
	def("reuse_port", kBool, "server.reuse_port", areaServer, "set SO_REUSEPORT on the main and broadcast listeners, so several processes share one port (the kernel spreads connections)",
		func(c *Config) any { return &c.Server.ReusePort }),

	// WebSocket.
	def("read_buffer_size", kInt, "ws.read_buffer_size", areaWS, "WebSocket read buffer size (bytes)",
		func(c *Config) any { return &c.WS.ReadBufferSize }, hide),
	def("write_buffer_size", kInt, "ws.write_buffer_size", areaWS, "WebSocket write buffer size (bytes)",
		func(c *Config) any { return &c.WS.WriteBufferSize }, hide),
	def("max_message_size", kInt, "ws.max_message_size", areaWS, "max incoming message size (bytes)",
		func(c *Config) any { return &c.WS.MaxMessageSize }, hide),
	def("ws_write_timeout", kInt, "ws.write_timeout", areaWS, "write deadline for a frame (seconds)",
		func(c *Config) any { return &c.WS.WriteTimeout }),
	def("ws_frame_timeout", kInt, "ws.frame_timeout", areaWS, "close a connection whose frame or fragmented message stays incomplete this long (seconds)",
		func(c *Config) any { return &c.WS.FrameTimeout }),
	def("ws_max_pending_size", kUint64, "ws.max_pending_size", areaWS, "outgoing bytes queued per client before it is disconnected as too slow (0 = unlimited)",
		func(c *Config) any { return &c.WS.MaxPendingSize }, withoutEnv),
	def("enable_ws_compression", kBool, "ws.enable_compression", areaWS, "enable permessage-deflate (experimental)",
		func(c *Config) any { return &c.WS.EnableCompression }, hide),
	def("ws_compression_context_takeover", kBool, "ws.compression_context_takeover", areaWS, "with --enable_ws_compression, let clients compress with context takeover (a window of up to 32 KB per connection; docs/compression.md)",
		func(c *Config) any { return &c.WS.CompressionTakeover }),
	def("ping_interval", kInt, "app.ping_interval", areaWS, "application ping interval (seconds)",
		func(c *Config) any { return &c.WS.PingInterval }),
	def("ping_timestamp_precision", kString, "app.ping_timestamp_precision", areaWS, "ping timestamp precision: s, ms or ns",
		func(c *Config) any { return &c.WS.PingTimestampPrecision }, hide),
	def("pong_timeout", kInt, "app.pong_timeout", areaWS, "disconnect clients silent for this long after a ping (seconds, 0 = off)",
		func(c *Config) any { return &c.WS.PongTimeout }),
	def("enable_native_pings", kBool, "app.enable_native_pings", areaWS, "also send WebSocket ping frames (and enforce pong_timeout for every protocol)",
		func(c *Config) any { return &c.WS.EnableNativePings }),

	// Authentication.
	def("secret", kString, "secret", areaAuth, "application secret; other secrets are taken or derived from it (none = empty)",
		func(c *Config) any { return &c.Secret }),
	def("public", kBool, "public", areaAuth, "DANGER: noauth + public streams + unauthenticated broadcasts",
		func(c *Config) any { return &c.Public }),
	def("noauth", kBool, "noauth", areaAuth, "DANGER: accept every connection without RPC authentication",
		func(c *Config) any { return &c.NoAuth }),

	// JWT.
	def("jwt_secret", kString, "jwt.secret", areaJWT, "JWT verification key (default: secret; none = off)",
		func(c *Config) any { return &c.JWT.Secret }),
	def("jwt_param", kString, "jwt.param", areaJWT, "JWT query parameter; the header is X-<param>",
		func(c *Config) any { return &c.JWT.Param }),
	def("enforce_jwt", kBool, "jwt.force", areaJWT, "reject connections without a JWT",
		func(c *Config) any { return &c.JWT.Enforce }),
	def("jwt_id_key", kString, "", areaJWT, "DEPRECATED: use --jwt_secret",
		func(c *Config) any { return &c.JWT.IDKey }, deprecate),
	def("jwt_id_param", kString, "", areaJWT, "DEPRECATED: use --jwt_param",
		func(c *Config) any { return &c.JWT.IDParam }, deprecate),
	def("jwt_id_enforce", kBool, "", areaJWT, "DEPRECATED: use --enforce_jwt",
		func(c *Config) any { return &c.JWT.IDEnforce }, deprecate),

	// Signed streams.
	def("streams_secret", kString, "streams.secret", areaStreams, "signed stream names key (default: secret; none = empty)",
		func(c *Config) any { return &c.Streams.Secret }),
	def("public_streams", kBool, "streams.public", areaStreams, "allow subscribing to unsigned stream names",
		func(c *Config) any { return &c.Streams.Public }),
	def("streams_whisper", kBool, "streams.whisper", areaStreams, "allow whispers on signed streams",
		func(c *Config) any { return &c.Streams.Whisper }),
	def("streams_presence", kBool, "streams.presence", areaStreams, "allow presence on signed streams",
		func(c *Config) any { return &c.Streams.Presence }),
	tomlOnly("streams.pubsub_channel", kString, areaStreams, "channel name for direct stream subscriptions",
		func(c *Config) any { return &c.Streams.PubSubChannel }),
	def("turbo_streams", kBool, "streams.turbo", areaStreams, "handle Turbo::StreamsChannel without RPC",
		func(c *Config) any { return &c.Streams.TurboStreams }),
	def("turbo_streams_secret", kString, "streams.turbo_secret", areaStreams, "Turbo signed streams key (default: streams secret)",
		func(c *Config) any { return &c.Streams.TurboStreamsSecret }),
	def("cable_ready", kBool, "streams.cable_ready", areaStreams, "handle CableReady::Stream without RPC",
		func(c *Config) any { return &c.Streams.CableReady }, alias("cable_ready_streams"), alsoEnv("ANYCABLE_CABLE_READY_STREAMS")),
	def("cable_ready_secret", kString, "streams.cable_ready_secret", areaStreams, "CableReady signed streams key (default: streams secret)",
		func(c *Config) any { return &c.Streams.CableReadySecret }),
	def("turbo_rails_key", kString, "", areaStreams, "DEPRECATED: use --turbo_streams_secret and --turbo_streams",
		func(c *Config) any { return &c.Streams.TurboRailsKey }, deprecate),
	def("turbo_rails_cleartext", kBool, "", areaStreams, "DEPRECATED: no effect",
		func(c *Config) any { return &c.Streams.TurboRailsCleartext }, deprecate),
	def("cable_ready_key", kString, "", areaStreams, "DEPRECATED: use --cable_ready_secret and --cable_ready",
		func(c *Config) any { return &c.Streams.CableReadyKey }, deprecate),
	def("cable_ready_cleartext", kBool, "", areaStreams, "DEPRECATED: no effect",
		func(c *Config) any { return &c.Streams.CableReadyCleartext }, deprecate),

	// RPC.
	def("rpc_host", kString, "rpc.host", areaRPC, "RPC address; http(s):// selects HTTP RPC, otherwise gRPC (dns:///, grpc-list://)",
		func(c *Config) any { return &c.RPC.Host }),
	def("norpc", kBool, "", areaRPC, "run without RPC (standalone mode)",
		func(c *Config) any { return &c.RPC.NoRPC }),
	def("rpc_impl", kString, "rpc.implementation", areaRPC, "force the RPC implementation: grpc, http or none",
		func(c *Config) any { return &c.RPC.Impl }, hide),
	def("rpc_concurrency", kInt, "rpc.concurrency", areaRPC, "max concurrent RPC calls (0 = adaptive)",
		func(c *Config) any { return &c.RPC.Concurrency }),
	def("rpc_concurrency_initial", kInt, "rpc.concurrency_initial", areaRPC, "adaptive concurrency: initial value",
		func(c *Config) any { return &c.RPC.ConcurrencyInitial }, proOnly),
	def("rpc_concurrency_min", kInt, "rpc.concurrency_min", areaRPC, "adaptive concurrency: lower bound",
		func(c *Config) any { return &c.RPC.ConcurrencyMin }, proOnly),
	def("rpc_concurrency_max", kInt, "rpc.concurrency_max", areaRPC, "adaptive concurrency: upper bound",
		func(c *Config) any { return &c.RPC.ConcurrencyMax }, proOnly),
	def("rpc_enable_tls", kBool, "rpc.enable_tls", areaRPC, "use TLS for RPC connections",
		func(c *Config) any { return &c.RPC.EnableTLS }, hide),
	def("rpc_tls_verify", kBool, "rpc.tls_verify", areaRPC, "verify the RPC server certificate",
		func(c *Config) any { return &c.RPC.TLSVerify }, hide),
	def("rpc_tls_root_ca", kString, "rpc.tls_root_ca_path", areaRPC, "CA certificate for RPC (file path or PEM; turns TLS on)",
		func(c *Config) any { return &c.RPC.TLSRootCA }, hide),
	def("rpc_max_call_recv_size", kInt, "rpc.max_recv_size", areaRPC, "max gRPC message size to receive (bytes, 0 = gRPC default)",
		func(c *Config) any { return &c.RPC.MaxCallRecvSize }, hide),
	def("rpc_max_call_send_size", kInt, "rpc.max_send_size", areaRPC, "max gRPC message size to send (bytes, 0 = gRPC default)",
		func(c *Config) any { return &c.RPC.MaxCallSendSize }, hide),
	def("rpc_request_timeout", kInt, "rpc.request_timeout", areaRPC, "RPC request timeout (ms, 0 = none for gRPC, 3000 for HTTP)",
		func(c *Config) any { return &c.RPC.RequestTimeout }),
	def("rpc_command_timeout", kInt, "rpc.command_timeout", areaRPC, "total time for an RPC command including retries (ms)",
		func(c *Config) any { return &c.RPC.CommandTimeout }, hide),
	def("headers", kLowerList, "rpc.proxy_headers", areaRPC, "request headers passed to RPC, comma-separated",
		func(c *Config) any { return &c.RPC.Headers }),
	def("proxy-cookies", kList, "rpc.proxy_cookies", areaRPC, "cookies kept in the Cookie header passed to RPC (default: all)",
		func(c *Config) any { return &c.RPC.ProxyCookies }),
	def("http_rpc_secret", kString, "rpc.secret", areaRPC, "HTTP RPC authentication token (default: derived from secret; none = empty)",
		func(c *Config) any { return &c.RPC.HTTPSecret }),
	def("http_rpc_timeout", kInt, "rpc.http_request_timeout", areaRPC, "DEPRECATED: use --rpc_request_timeout",
		func(c *Config) any { return &c.RPC.HTTPTimeout }, deprecate),

	// Disconnect queue.
	def("disconnect_mode", kString, "app.disconnect_mode", areaDisconnect, "when to call Disconnect RPC: auto, always or never",
		func(c *Config) any { return &c.Disconnect.Mode }),
	def("disconnect_rate", kInt, "disconnector.rate", areaDisconnect, "max Disconnect RPC calls per second",
		func(c *Config) any { return &c.Disconnect.Rate }, hide),
	def("disconnect_backlog_size", kInt, "disconnector.backlog_size", areaDisconnect, "disconnect queue size",
		func(c *Config) any { return &c.Disconnect.BacklogSize }, hide),
	def("disconnect_timeout", kInt, "", areaDisconnect, "DEPRECATED: use --shutdown_timeout",
		func(c *Config) any { return &c.Disconnect.Timeout }, deprecate),
	def("disable_disconnect", kBool, "", areaDisconnect, "DEPRECATED: use --disconnect_mode=never",
		func(c *Config) any { return &c.Disconnect.Disable }, deprecate),

	// Shutdown.
	def("shutdown_timeout", kInt, "app.shutdown_timeout", areaShutdown, "graceful shutdown timeout (seconds)",
		func(c *Config) any { return &c.Shutdown.Timeout }),
	def("shutdown_delay", kInt, "app.shutdown_delay", areaShutdown, "wait before starting shutdown (seconds)",
		func(c *Config) any { return &c.Shutdown.Delay }),
	def("shutdown_pool_size", kInt, "app.shutdown_disconnect_gopool_size", areaShutdown, "workers disconnecting sessions on shutdown",
		func(c *Config) any { return &c.Shutdown.PoolSize }, hide),
	def("shutdown_slowdrain", kBool, "app.shutdown_slowdrain", areaShutdown, "spread disconnects over the shutdown period",
		func(c *Config) any { return &c.Shutdown.Slowdrain }, proOnly),

	// Broadcasting.
	def("broadcast_adapter", kLowerList, "broadcast_adapters", areaBroadcast, "broadcasting adapters: http, redis, redisx, nats (comma-separated)",
		func(c *Config) any { return &c.Broadcast.Adapters }, defaultText("-")),
	def("broadcast_key", kString, "broadcast_key", areaBroadcast, "HTTP broadcast authentication key (default: derived from secret; none = no auth)",
		func(c *Config) any { return &c.Broadcast.Key }),
	def("http_broadcast_port", kInt, "http_broadcast.port", areaBroadcast, "HTTP broadcast port (default: main port when a key is set, else 8090)",
		func(c *Config) any { return &c.Broadcast.HTTPPort }, defaultText("-")),
	def("http_broadcast_path", kString, "http_broadcast.path", areaBroadcast, "HTTP broadcast path",
		func(c *Config) any { return &c.Broadcast.HTTPPath }),
	def("http_broadcast_secret", kString, "http_broadcast.secret", areaBroadcast, "DEPRECATED: use --broadcast_key",
		func(c *Config) any { return &c.Broadcast.HTTPSecret }, deprecate),
	def("http_broadcast_cors", kBool, "http_broadcast.cors_headers", areaBroadcast, "add CORS headers to the broadcast endpoint",
		func(c *Config) any { return &c.Broadcast.HTTPCORS }, hide),
	def("redis_channel", kString, "redis_pubsub_broadcast.channel", areaBroadcast, "Redis Pub/Sub channel of the redis broadcaster",
		func(c *Config) any { return &c.Broadcast.RedisChannel }),
	def("nats_channel", kString, "nats_broadcast.channel", areaBroadcast, "NATS subject of the nats broadcaster",
		func(c *Config) any { return &c.Broadcast.NATSChannel }),
	def("redisx_stream", kString, "redis_stream_broadcast.stream", areaBroadcast, "Redis Stream read by the redisx broadcaster",
		func(c *Config) any { return &c.Broadcast.RedisXStream }),
	def("redisx_group", kString, "redis_stream_broadcast.group", areaBroadcast, "consumer group of the redisx broadcaster",
		func(c *Config) any { return &c.Broadcast.RedisXGroup }, hide),
	def("redisx_read_block_milliseconds", kInt, "redis_stream_broadcast.read_block_milliseconds", areaBroadcast, "XREADGROUP block time (ms)",
		func(c *Config) any { return &c.Broadcast.RedisXReadBlockMilliseconds }, hide),
	def("hub_gopool_size", kInt, "app.broadcast_gopool_size", areaBroadcast, "broadcast fan-out worker pool size",
		func(c *Config) any { return &c.Broadcast.HubGopoolSize }, hide),

	// Pub/sub.
	def("pubsub", kString, "pubsub_adapter", areaPubSub, "inter-node pub/sub adapter: redis or nats",
		func(c *Config) any { return &c.PubSub.Adapter }),
	tomlOnly("redis_pubsub.channel", kString, areaPubSub, "Redis channel for internal node-to-node messages",
		func(c *Config) any { return &c.PubSub.RedisChannel }),
	tomlOnly("nats_pubsub.channel", kString, areaPubSub, "NATS subject for internal node-to-node messages",
		func(c *Config) any { return &c.PubSub.NATSChannel }),

	// Broker.
	def("broker", kString, "broker.adapter", areaBroker, "broker: memory, nats or redis",
		func(c *Config) any { return &c.Broker.Adapter }),
	def("history_limit", kInt, "broker.history_limit", areaBroker, "max messages kept per stream",
		func(c *Config) any { return &c.Broker.HistoryLimit }),
	def("history_ttl", kInt, "broker.history_ttl", areaBroker, "stream history TTL (seconds)",
		func(c *Config) any { return &c.Broker.HistoryTTL }),
	def("sessions_ttl", kInt, "broker.sessions_ttl", areaBroker, "resumable sessions TTL (seconds)",
		func(c *Config) any { return &c.Broker.SessionsTTL }),
	def("presence_ttl", kInt, "broker.presence_ttl", areaBroker, "presence kept after disconnect (seconds)",
		func(c *Config) any { return &c.Broker.PresenceTTL }),

	// Redis.
	def("redis_url", kString, "redis.url", areaRedis, "Redis URL (master name with sentinels; comma list for a cluster)",
		func(c *Config) any { return &c.Redis.URL }, alsoEnv("REDIS_URL")),
	def("redis_sentinels", kString, "redis.sentinels", areaRedis, "Redis Sentinel addresses host:port, comma-separated",
		func(c *Config) any { return &c.Redis.Sentinels }),
	def("redis_sentinel_discovery_interval", kInt, "redis.sentinel_discovery_interval", areaRedis, "Sentinel rediscovery interval (seconds)",
		func(c *Config) any { return &c.Redis.SentinelDiscoveryInterval }, hide),
	def("redis_keepalive_interval", kInt, "redis.keepalive_ping_interval", areaRedis, "Redis keepalive ping interval (seconds)",
		func(c *Config) any { return &c.Redis.KeepaliveInterval }, hide),
	def("redis_tls_verify", kBool, "redis.tls_verify", areaRedis, "verify the Redis TLS certificate",
		func(c *Config) any { return &c.Redis.TLSVerify }, hide),
	def("redis_tls_ca_cert_path", kString, "redis.tls_ca_cert", areaRedis, "CA certificate to verify Redis",
		func(c *Config) any { return &c.Redis.TLSCACertPath }),
	def("redis_tls_client_cert_path", kString, "redis.tls_cert", areaRedis, "client certificate for Redis mTLS",
		func(c *Config) any { return &c.Redis.TLSClientCertPath }),
	def("redis_tls_client_key_path", kString, "redis.tls_key", areaRedis, "client key for Redis mTLS",
		func(c *Config) any { return &c.Redis.TLSClientKeyPath }),
	def("redis_disable_cache", kBool, "redis.disable_cache", areaRedis, "disable client-side caching (CLIENT TRACKING)",
		func(c *Config) any { return &c.Redis.DisableCache }, hide),
	tomlOnly("redis.max_reconnect_attempts", kInt, areaRedis, "max Redis reconnect attempts",
		func(c *Config) any { return &c.Redis.MaxReconnectAttempts }),

	// NATS.
	def("nats_servers", kString, "nats.servers", areaNATS, "NATS server URLs, comma-separated",
		func(c *Config) any { return &c.NATS.Servers }),
	def("nats_dont_randomize_servers", kBool, "nats.dont_randomize_servers", areaNATS, "keep the server order when (re)connecting",
		func(c *Config) any { return &c.NATS.DontRandomizeServers }, hide),
	tomlOnly("nats.max_reconnect_attempts", kInt, areaNATS, "max NATS reconnect attempts",
		func(c *Config) any { return &c.NATS.MaxReconnectAttempts }),

	// Embedded NATS.
	def("embed_nats", kBool, "embedded_nats.enabled", areaENATS, "run an embedded NATS server and use it",
		func(c *Config) any { return &c.EmbeddedNATS.Enabled }),
	def("enats_addr", kString, "embedded_nats.service_addr", areaENATS, "embedded NATS client address",
		func(c *Config) any { return &c.EmbeddedNATS.Addr }, hide),
	def("enats_cluster", kString, "embedded_nats.cluster_addr", areaENATS, "embedded NATS cluster address",
		func(c *Config) any { return &c.EmbeddedNATS.Cluster }, hide),
	def("enats_cluster_name", kString, "embedded_nats.cluster_name", areaENATS, "embedded NATS cluster name",
		func(c *Config) any { return &c.EmbeddedNATS.ClusterName }),
	def("enats_cluster_routes", kList, "embedded_nats.routes", areaENATS, "embedded NATS cluster routes, comma-separated",
		func(c *Config) any { return &c.EmbeddedNATS.ClusterRoutes }),
	def("enats_gateway", kString, "embedded_nats.gateway_addr", areaENATS, "embedded NATS gateway address",
		func(c *Config) any { return &c.EmbeddedNATS.Gateway }, hide),
	def("enats_gateways", kSemiList, "embedded_nats.gateways", areaENATS, "embedded NATS gateways: name:url,url;name2:url",
		func(c *Config) any { return &c.EmbeddedNATS.Gateways }),
	def("enats_gateway_advertise", kString, "embedded_nats.gateway_advertise", areaENATS, "embedded NATS gateway advertise address",
		func(c *Config) any { return &c.EmbeddedNATS.GatewayAdvertise }),
	def("enats_store_dir", kString, "embedded_nats.jetstream_store_dir", areaENATS, "JetStream storage directory",
		func(c *Config) any { return &c.EmbeddedNATS.StoreDir }, hide),
	def("enats_server_name", kString, "embedded_nats.name", areaENATS, "unique embedded NATS server name (default: generated)",
		func(c *Config) any { return &c.EmbeddedNATS.ServerName }),
	def("enats_debug", kBool, "embedded_nats.debug", areaENATS, "embedded NATS debug logs",
		func(c *Config) any { return &c.EmbeddedNATS.Debug }, hide),
	def("enats_trace", kBool, "embedded_nats.trace", areaENATS, "embedded NATS protocol trace logs",
		func(c *Config) any { return &c.EmbeddedNATS.Trace }, hide),
	def("enats_max_payload", kInt, "embedded_nats.max_payload", areaENATS, "embedded NATS max payload (bytes, 0 = 1048576)",
		func(c *Config) any { return &c.EmbeddedNATS.MaxPayload }),
	tomlOnly("embedded_nats.jetstream", kBool, areaENATS, "enable JetStream in the embedded server",
		func(c *Config) any { return &c.EmbeddedNATS.JetStream }),
	tomlOnly("embedded_nats.jetstream_ready_timeout", kInt, areaENATS, "wait for JetStream readiness (seconds)",
		func(c *Config) any { return &c.EmbeddedNATS.JetStreamReadyTimeout }),

	// SSE.
	def("sse", kBool, "sse.enabled", areaSSE, "enable the Server-Sent Events endpoint",
		func(c *Config) any { return &c.SSE.Enabled }),
	def("sse_path", kString, "sse.path", areaSSE, "SSE endpoint path",
		func(c *Config) any { return &c.SSE.Path }),

	// Pusher.
	def("pusher_app_id", kString, "pusher.app_id", areaPusher, "Pusher app ID (needs the app key too)",
		func(c *Config) any { return &c.Pusher.AppID }),
	def("pusher_app_key", kString, "pusher.app_key", areaPusher, "Pusher app key",
		func(c *Config) any { return &c.Pusher.AppKey }),
	def("pusher_secret", kString, "pusher.secret", areaPusher, "Pusher secret (default: secret; none = empty)",
		func(c *Config) any { return &c.Pusher.Secret }),
	def("pusher_api_port", kInt, "pusher.api_port", areaPusher, "separate port for the Pusher HTTP API (0 = main port)",
		func(c *Config) any { return &c.Pusher.APIPort }),
	def("pusher_webhook_url", kList, "pusher.webhook_url", areaPusher, "Pusher webhook URLs, comma-separated (none = no webhooks)",
		func(c *Config) any { return &c.Pusher.WebhookURL }),
	def("pusher_webhook_events", kLowerList, "pusher.webhook_events", areaPusher, "Pusher webhook events to send (default: all)",
		func(c *Config) any { return &c.Pusher.WebhookEvents }),
	def("pusher_client_event_rate", kInt, "pusher.client_event_rate", areaPusher, "client events a Pusher connection may send per second; past it the connection is closed with 4301 (0 = no limit)",
		func(c *Config) any { return &c.Pusher.ClientEventRate }),

	// Durable Streams.
	def("ds", kBool, "ds.enabled", areaDS, "enable the Durable Streams endpoint",
		func(c *Config) any { return &c.DS.Enabled }),
	def("ds_path", kString, "ds.path", areaDS, "Durable Streams mount path",
		func(c *Config) any { return &c.DS.Path }),
	def("ds_skip_auth", kBool, "ds.skip_auth", areaDS, "skip connection authentication for Durable Streams",
		func(c *Config) any { return &c.DS.SkipAuth }),
	def("ds_poll_interval", kInt, "ds.poll_interval", areaDS, "long-poll wait (seconds)",
		func(c *Config) any { return &c.DS.PollInterval }),
	def("ds_sse_ttl", kInt, "ds.sse_ttl", areaDS, "max SSE connection lifetime (seconds)",
		func(c *Config) any { return &c.DS.SSETTL }),

	// API.
	tomlOnly("api.host", kString, areaAPI, "API server host (with a separate api_port)",
		func(c *Config) any { return &c.API.Host }),
	def("api_port", kInt, "api.port", areaAPI, "API server port (0 = main port)",
		func(c *Config) any { return &c.API.Port }),
	def("api_path", kString, "api.path", areaAPI, "API base path",
		func(c *Config) any { return &c.API.Path }),
	def("api_secret", kString, "api.secret", areaAPI, "API authentication token (default: derived from secret)",
		func(c *Config) any { return &c.API.Secret }),
	tomlOnly("api.cors_headers", kBool, areaAPI, "add CORS headers to API responses",
		func(c *Config) any { return &c.API.CORSHeaders }),

	// Long polling.
	def("poll", kBool, "poll.enabled", areaPoll, "enable the long-polling transport",
		func(c *Config) any { return &c.Poll.Enabled }, proOnly),
	def("poll_path", kString, "poll.path", areaPoll, "long-polling endpoint path",
		func(c *Config) any { return &c.Poll.Path }, proOnly),
	def("poll_interval", kInt, "poll.interval", areaPoll, "poll request hold time (seconds)",
		func(c *Config) any { return &c.Poll.Interval }, proOnly),
	def("poll_flush_interval", kInt, "poll.flush_interval", areaPoll, "output buffering before a flush (ms)",
		func(c *Config) any { return &c.Poll.FlushInterval }, proOnly),
	def("poll_max_request_size", kInt, "poll.max_request_size", areaPoll, "max poll request body (bytes)",
		func(c *Config) any { return &c.Poll.MaxRequestSize }, proOnly, alsoEnv("ANYCABLE_POLL_MAX_REQEUEST_SIZE")),
	def("poll_keepalive_timeout", kInt, "poll.keepalive_timeout", areaPoll, "poll session lifetime between requests (seconds)",
		func(c *Config) any { return &c.Poll.KeepaliveTimeout }, proOnly),

	// Apollo GraphQL.
	def("graphql_path", kString, "graphql.path", areaApollo, "Apollo GraphQL WebSocket path (empty = off)",
		func(c *Config) any { return &c.Apollo.Path }, proOnly),
	def("graphql_channel", kString, "graphql.channel", areaApollo, "channel class handling GraphQL",
		func(c *Config) any { return &c.Apollo.Channel }, proOnly),
	def("graphql_action", kString, "graphql.action", areaApollo, "channel action handling GraphQL operations",
		func(c *Config) any { return &c.Apollo.Action }, proOnly),

	// OCPP.
	def("ocpp_path", kString, "ocpp.path", areaOCPP, "OCPP 1.6 endpoint prefix (empty = off)",
		func(c *Config) any { return &c.OCPP.Path }, proOnly),
	def("ocpp_granular_actions", kBool, "ocpp.granular_actions", areaOCPP, "one channel action per OCPP command (false = all go to #receive)",
		func(c *Config) any { return &c.OCPP.GranularActions }, proOnly),

	// Metrics.
	def("metrics_log", kBool, "metrics.log", areaMetrics, "log metrics at each rotation",
		func(c *Config) any { return &c.Metrics.Log }),
	def("metrics_rotate_interval", kInt, "metrics.rotate_interval", areaMetrics, "metrics flush interval for logs and StatsD (seconds)",
		func(c *Config) any { return &c.Metrics.RotateInterval }),
	def("metrics_log_interval", kInt, "", areaMetrics, "DEPRECATED: use --metrics_rotate_interval",
		func(c *Config) any { return &c.Metrics.LogInterval }, deprecate),
	def("metrics_log_filter", kList, "metrics.log_filter", areaMetrics, "metrics to log, comma-separated",
		func(c *Config) any { return &c.Metrics.LogFilter }),
	def("metrics_log_formatter", kString, "metrics.log_formatter", areaMetrics, "custom metrics log formatter script",
		func(c *Config) any { return &c.Metrics.LogFormatter }, hide),
	def("metrics_http", kString, "metrics.http_path", areaMetrics, "Prometheus endpoint path, e.g. /metrics (empty = off)",
		func(c *Config) any { return &c.Metrics.HTTP }),
	def("metrics_host", kString, "metrics.host", areaMetrics, "metrics server host (default: main host)",
		func(c *Config) any { return &c.Metrics.Host }),
	def("metrics_port", kInt, "metrics.port", areaMetrics, "metrics server port (0 = main port)",
		func(c *Config) any { return &c.Metrics.Port }),
	def("metrics_tags", kTags, "metrics.tags", areaMetrics, "global metrics tags, e.g. env:prod,region:eu",
		func(c *Config) any { return &c.Metrics.Tags }),
	def("stats_refresh_interval", kInt, "app.stats_refresh_interval", areaMetrics, "interval gauges refresh (seconds)",
		func(c *Config) any { return &c.Metrics.StatsRefreshInterval }),
	def("statsd_host", kString, "metrics.statsd.host", areaMetrics, "StatsD host:port (empty = off)",
		func(c *Config) any { return &c.Metrics.StatsdHost }),
	def("statsd_prefix", kString, "metrics.statsd.prefix", areaMetrics, "StatsD metric prefix",
		func(c *Config) any { return &c.Metrics.StatsdPrefix }),
	def("statsd_max_packet_size", kInt, "metrics.statsd.max_packet_size", areaMetrics, "StatsD UDP packet size",
		func(c *Config) any { return &c.Metrics.StatsdMaxPacketSize }, hide),
	def("statsd_tags_format", kString, "metrics.statsd.tags_format", areaMetrics, "StatsD tags format: datadog, influxdb or graphite",
		func(c *Config) any { return &c.Metrics.StatsdTagsFormat }),

	// Logging.
	def("log_level", kString, "logging.level", areaLogging, "log level: debug, info, warn or error",
		func(c *Config) any { return &c.Logging.Level }),
	def("log_format", kString, "logging.format", areaLogging, "log format: text or json",
		func(c *Config) any { return &c.Logging.Format }),
	def("debug", kBool, "logging.debug", areaLogging, "verbose mode (log level debug)",
		func(c *Config) any { return &c.Logging.Debug }),
}

// Lookup indexes built once from flagTable.
var (
	byFlag = map[string]*flagDef{} // flag names and aliases
	byID   = map[string]*flagDef{} // id() of every row
	byTOML = map[string]*flagDef{} // dotted TOML keys
	// tablePrefixes holds every proper prefix of a TOML key ("server",
	// "server.ssl", "metrics.statsd", ...).
	tablePrefixes = map[string]bool{}
)

func init() {
	for i := range flagTable {
		d := &flagTable[i]
		for _, n := range append([]string{d.name}, d.aliases...) {
			if n == "" {
				continue
			}
			if _, dup := byFlag[n]; dup {
				panic("config: duplicate flag " + n)
			}
			byFlag[n] = d
		}
		byID[d.id()] = d
		if d.toml != "" {
			if _, dup := byTOML[d.toml]; dup {
				panic("config: duplicate TOML key " + d.toml)
			}
			byTOML[d.toml] = d
			for j := range d.toml {
				if d.toml[j] == '.' {
					tablePrefixes[d.toml[:j]] = true
				}
			}
		}
	}
}
