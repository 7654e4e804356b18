package server

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/redis/rueidis"
	"github.com/valyala/fasthttp"

	"github.com/densecable/densecable/api"
	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/broker/embeddednats"
	"github.com/densecable/densecable/cmd/config"
	"github.com/densecable/densecable/fanout"
	"github.com/densecable/densecable/poller"
	"github.com/densecable/densecable/rpcclient"
	"github.com/densecable/densecable/sessions"
	"github.com/densecable/densecable/sessions/identity"
	"github.com/densecable/densecable/sessions/sse"
	"github.com/densecable/densecable/sessions/streams"
)

// compatVersion is the anycable-go version whose behaviour densecable
// reproduces; clients see it in X-AnyCable-Version.
const compatVersion = "1.6.16"

// app is the running server: every component and the order they start and
// stop in.
type app struct {
	cfg *config.Config
	log *slog.Logger

	rpc *rpcclient.Client
	hub *fanout.Hub
	// pub is the publication path (broker, pub/sub, hub) every
	// broadcaster and the node publish through.
	pub  *fanout.Publisher
	node *sessions.Node

	router    *api.Router
	httpSrv   *fasthttp.Server
	ws        poller.Server
	sse       *sse.Handler     // --sse's handler, also for SSE the event loop cannot take (embed)
	bcastSrv  *fasthttp.Server // separate broadcast listener, when its port differs
	bcastLn   net.Listener
	listeners []broker.Broadcaster

	bstats    *broker.Stats
	metrics   *api.Metrics
	mout      metricsOutput
	apiSrv    *fasthttp.Server
	apiOnMain bool
	broker    broker.Broker
	pubsub    broker.PubSub
	enats     *embeddednats.Server
	nc        *nats.Conn
	rc        rueidis.Client
	closers   []func()
	stopStats chan struct{}
	// startLines log the endpoints set up by optional transports.
	startLines []func()
	// beforeStop run first when stopping (held transports answer their
	// waiting requests).
	beforeStop []func()

	// Health of the shared Redis client and NATS connection.
	redisHealth, natsHealth broker.Health

	stopOnce sync.Once
	sd       sdHooks // systemd: passed sockets, notify, watchdog (systemd.go)

	pusher *pusherAPI // Pusher HTTP API and webhooks (pusherapi.go)

	// embedded: no main listener; connections come from the embedding
	// program's net/http server (embed.go).
	embedded bool
}

func newApp(cfg *config.Config, log *slog.Logger) (*app, error) { return buildApp(cfg, log, false) }

func buildApp(cfg *config.Config, log *slog.Logger, embedded bool) (*app, error) {
	a := &app{cfg: cfg, log: log, embedded: embedded}
	var tlsConfig *tls.Config
	if cfg.Server.SSLCert != "" && cfg.Server.SSLKey != "" && !embedded {
		cert, err := tls.LoadX509KeyPair(cfg.Server.SSLCert, cfg.Server.SSLKey)
		if err != nil {
			return nil, fmt.Errorf("--ssl_cert/--ssl_key: %w", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}

	if !cfg.RPC.NoRPC && cfg.RPC.Impl != "none" {
		opts := rpcOptions(cfg)
		c, err := rpcclient.New(opts, log)
		if err != nil {
			return nil, fmt.Errorf("rpc: %w", err)
		}
		a.rpc = c
	}

	if err := a.setupEmbeddedNATS(); err != nil {
		return nil, err
	}
	if err := a.setupBroker(); err != nil {
		a.stopCluster(context.Background())
		return nil, err
	}
	if err := a.setupPubSub(); err != nil {
		a.stopCluster(context.Background())
		return nil, err
	}
	hubOpts := fanout.Options{Gates: cfg.Broadcast.HubGopoolSize}
	if a.pubsub != nil {
		// Only nodes with subscribers to a stream hear about it.
		hubOpts.OnStreamAdded = a.pubsub.Subscribe
		hubOpts.OnStreamRemoved = a.pubsub.Unsubscribe
	}
	observers, err := a.protocolObservers()
	if err != nil {
		a.stopCluster(context.Background())
		return nil, err
	}
	if len(observers) > 0 {
		// Protocols' observers (webhooks) hear streams come and go too. The
		// node exists before the first subscriber can.
		added, removed := hubOpts.OnStreamAdded, hubOpts.OnStreamRemoved
		hubOpts.OnStreamAdded = func(s string) {
			if added != nil {
				added(s)
			}
			a.node.StreamOccupied(s)
		}
		hubOpts.OnStreamRemoved = func(s string) {
			if removed != nil {
				removed(s)
			}
			a.node.StreamVacated(s)
		}
	}
	a.hub = fanout.New(hubOpts, log.With("context", "hub"))
	// Remote commands reach the node, created below, through the app.
	a.pub = fanout.NewPublisher(fanout.PublisherDeps{
		Hub:      a.hub,
		Broker:   a.broker,
		PubSub:   a.pubsub,
		Commands: a.executeCommand,
	}, log.With("context", "node"))

	deps := sessions.Deps{
		Hub:            a.hub,
		Authenticators: authenticators(cfg, log.With("context", "jwt")),
		Router:         channelRouter(cfg, log.With("context", "streams")),
		Broker:         a.broker,
		Publisher:      a.pub,
		Observers:      observers,
	}
	if a.rpc != nil {
		deps.RPC = a.rpc
	}
	a.node = sessions.NewNode(nodeOptions(cfg), deps, log.With("context", "node"))

	if err := a.setupSystemd(); err != nil {
		a.stopCluster(context.Background())
		return nil, err
	}
	a.router = api.NewRouter()
	a.router.Handle(cfg.Server.HealthPath, api.HealthCheck(func() bool { return a.unhealthy() == 0 }))
	wsh := newWSHandler(cfg.Server.Path, cfg.Server.AllowedOrigins, compatVersion, a.node, wsProtocols(cfg, a.broker, a.pusherClientEvent()))
	if cfg.WS.EnableCompression {
		wsh.enableCompression(cfg.WS.CompressionTakeover)
	}
	if cfg.JWT.Secret != "" {
		wsh.tokenHeader = identity.TokenHeader(cfg.JWT.Param)
	}
	a.httpSrv = api.NewHTTPServer(wsh.plainHTTP(a.router.Serve), api.DefaultHTTPTimeouts)
	a.setupSSE(wsh)

	writeTimeout := time.Duration(cfg.WS.WriteTimeout) * time.Second
	ws, err := poller.New(cfg.Server.Poller, poller.Options{
		Addr:           net.JoinHostPort(cfg.Server.Host, strconv.Itoa(cfg.Server.Port)),
		Listener:       a.socket(socketMain),
		ReusePort:      cfg.Server.ReusePort,
		MaxMessageSize: cfg.WS.MaxMessageSize,
		MaxPending:     int(cfg.WS.MaxPendingSize),
		WriteTimeout:   writeTimeout,
		FrameTimeout:   time.Duration(cfg.WS.FrameTimeout) * time.Second,
		MaxConn:        cfg.Server.MaxConn,
		ReadBufferSize: cfg.WS.ReadBufferSize,
		TLS:            tlsConfig,
		ListenNone:     embedded,
		// Back-pressure: while the disconnect queue is over its bound, new
		// connections wait in the kernel's backlog.
		AcceptPaused: a.node.AcceptPaused,
	}, wsh, a.httpSrv, log.With("context", "server"))
	if err != nil {
		return nil, err
	}
	a.ws = ws

	if err := a.setupBroadcasting(); err != nil {
		return nil, err
	}
	a.setupAPI()
	a.setupPusherAPI()
	a.setupMetrics()
	a.setupHeld(wsh)
	return a, nil
}

func rpcOptions(cfg *config.Config) rpcclient.Options {
	o := rpcclient.DefaultOptions()
	o.Host = cfg.RPC.Host
	o.Impl = cfg.RPC.Impl
	o.Concurrency = cfg.RPC.Concurrency
	o.ConcurrencyInitial = cfg.RPC.ConcurrencyInitial
	o.ConcurrencyMin = cfg.RPC.ConcurrencyMin
	o.ConcurrencyMax = cfg.RPC.ConcurrencyMax
	o.EnableTLS = cfg.RPC.EnableTLS
	o.TLSVerify = cfg.RPC.TLSVerify
	o.TLSRootCA = cfg.RPC.TLSRootCA
	o.MaxRecvSize = cfg.RPC.MaxCallRecvSize
	o.MaxSendSize = cfg.RPC.MaxCallSendSize
	o.RequestTimeout = cfg.RPC.RequestTimeout
	o.CommandTimeout = cfg.RPC.CommandTimeout
	o.HTTPSecret = cfg.RPC.HTTPSecret
	o.HTTPTimeout = cfg.RPC.HTTPTimeout
	o.ProxyHeaders = cfg.RPC.Headers
	o.ProxyCookies = cfg.RPC.ProxyCookies
	return o
}

func nodeOptions(cfg *config.Config) sessions.Options {
	headers := cfg.RPC.Headers
	if cfg.JWT.Secret != "" {
		// RPC sees the token too, whether it came as a header or a
		// sub-protocol (the handler copies it into this header).
		headers = append(append([]string(nil), headers...), identity.TokenHeader(cfg.JWT.Param))
	}
	return sessions.Options{
		PingInterval:      time.Duration(cfg.WS.PingInterval) * time.Second,
		PingPrecision:     cfg.WS.PingTimestampPrecision,
		EnableNativePings: cfg.WS.EnableNativePings,
		PongTimeout:       time.Duration(cfg.WS.PongTimeout) * time.Second,
		SessionsTTL:       cfg.Broker.SessionsTTL,
		PresenceTTL:       cfg.Broker.PresenceTTL,
		DisconnectMode:    cfg.Disconnect.Mode,
		DisconnectRate:    cfg.Disconnect.Rate,
		DisconnectBacklog: cfg.Disconnect.BacklogSize,
		MaxConn:           cfg.Server.MaxConn,
		Headers:           headers,
		ProxyCookies:      cfg.RPC.ProxyCookies,
		TLS:               cfg.Server.SSLCert != "" && cfg.Server.SSLKey != "",
		Workers:           workerCount(cfg),
		ShutdownTimeout:   time.Duration(cfg.Shutdown.Timeout) * time.Second,
		SlowDrain:         cfg.Shutdown.Slowdrain,
		ShutdownPoolSize:  cfg.Shutdown.PoolSize,
	}
}

// workerCount sizes the session pool: RPC calls block workers, so there must
// be more workers than RPC slots for non-RPC work to keep flowing.
func workerCount(cfg *config.Config) int {
	c := cfg.RPC.Concurrency
	if c <= 0 {
		c = cfg.RPC.ConcurrencyMax
	}
	if c <= 0 {
		c = 100
	}
	return 2*c + 16
}

func (a *app) start() error {
	if err := a.ws.Listen(); err != nil {
		return fmt.Errorf("listen %s:%d: %w", a.cfg.Server.Host, a.cfg.Server.Port, err)
	}
	if err := a.startBroker(); err != nil {
		return err
	}
	a.log.Info(fmt.Sprintf("Starting densecable %s (AnyCable %s compatible) (pid: %d, open file limit: %s, gomaxprocs: %d)",
		config.Version, compatVersion, os.Getpid(), openFileLimit(), runtime.GOMAXPROCS(0)))
	if a.cfg.ConfigFile != "" {
		a.log.Info("Using configuration from file: " + a.cfg.ConfigFile)
	}
	a.warnUnsupported()
	go func() {
		if err := a.ws.Serve(); err != nil {
			a.log.Error("server stopped", "error", err)
		}
	}()
	for _, p := range a.cfg.Server.Path {
		a.log.Info(fmt.Sprintf("Handle WebSocket connections at http://%s%s", a.ws.Addr(), p))
	}
	a.logPusherEndpoint()
	if p := a.cfg.Apollo.Path; p != "" {
		a.log.Info(fmt.Sprintf("Handle GraphQL WebSocket connections at http://%s%s", a.ws.Addr(), p))
	}
	a.logSSE()
	a.log.Info(fmt.Sprintf("Handle health requests at http://%s%s", a.ws.Addr(), a.cfg.Server.HealthPath))
	for _, f := range a.startLines {
		f()
	}
	if err := a.startBroadcasting(); err != nil {
		return err
	}
	if err := a.startAPI(); err != nil {
		return err
	}
	if err := a.startPusherAPI(); err != nil {
		return err
	}
	a.stopStats = make(chan struct{})
	go a.metrics.RefreshEvery(time.Duration(max(a.cfg.Metrics.StatsRefreshInterval, 1))*time.Second, a.stopStats)
	if err := a.startMetrics(a.stopStats); err != nil {
		return err
	}
	return a.notifyReady()
}

// stop shuts down in anycable-go's order: stop accepting, tell clients,
// flush Disconnect calls, stop broadcasters and RPC.
func (a *app) stop(ctx context.Context) {
	a.stopOnce.Do(func() { a.doStop(ctx) })
}

// handshakeDrain bounds how long a stop waits for requests accepted before
// it (poller.Server.WaitHandshakes).
const handshakeDrain = 500 * time.Millisecond

func (a *app) doStop(ctx context.Context) {
	for _, f := range a.beforeStop {
		f()
	}
	a.notifyStopping()
	if a.stopStats != nil {
		close(a.stopStats)
	}
	if a.ws != nil && a.ws.Addr() != nil {
		a.ws.StopAccepting()
		// Requests already accepted become sessions, which the node's
		// shutdown below tells to reconnect, rather than sockets closed
		// under their clients (bounded: a silent client is not waited for).
		dctx, cancel := context.WithTimeout(ctx, handshakeDrain)
		a.ws.WaitHandshakes(dctx)
		cancel()
	}
	// fasthttp's plain Shutdown waits for every keep-alive connection to go
	// idle, without limit (a publisher that keeps its connection busy would
	// hold the process forever): bound it.
	httpCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	if a.bcastSrv != nil {
		_ = a.bcastSrv.ShutdownWithContext(httpCtx)
	}
	if a.apiSrv != nil {
		_ = a.apiSrv.ShutdownWithContext(httpCtx)
	}
	a.stopMetrics(httpCtx)
	cancel()
	for _, b := range a.listeners {
		if err := b.Shutdown(ctx); err != nil {
			a.log.Warn("broadcaster shutdown", "error", err)
		}
	}
	a.node.Shutdown(ctx)
	a.stopPusherAPI(ctx)
	// The hub's gates close after the pub/sub has stopped: a publication
	// that arrives from another node meanwhile (a presence leave) must not
	// meet a closed gate.
	a.stopCluster(ctx)
	a.hub.Shutdown()
	if a.rpc != nil {
		_ = a.rpc.Close()
	}
	if a.ws != nil && a.ws.Addr() != nil {
		sctx, cancel := context.WithTimeout(ctx, time.Second)
		_ = a.ws.Shutdown(sctx)
		cancel()
	}
}

func openFileLimit() string {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return "unknown"
	}
	return strconv.FormatUint(rl.Cur, 10)
}

// authenticators builds the RPC-less authentication chain: JWT first, then
// --noauth/--public.
func authenticators(cfg *config.Config, log *slog.Logger) []sessions.Authenticator {
	var out []sessions.Authenticator
	if cfg.JWT.Secret != "" {
		out = append(out, identity.NewJWT(identity.JWTOptions{Secret: cfg.JWT.Secret, Param: cfg.JWT.Param, Enforce: cfg.JWT.Enforce}, log))
	}
	if cfg.NoAuth || cfg.Public {
		out = append(out, identity.NoAuth())
	}
	return out
}

// channelRouter handles $pubsub, Turbo Streams and CableReady locally.
func channelRouter(cfg *config.Config, log *slog.Logger) sessions.ChannelRouter {
	return streams.New(streams.Options{
		PubSubChannel:    cfg.Streams.PubSubChannel,
		Secret:           cfg.Streams.Secret,
		Public:           cfg.Streams.Public || cfg.Public,
		Whisper:          cfg.Streams.Whisper,
		Presence:         cfg.Streams.Presence,
		TurboStreams:     cfg.Streams.TurboStreams,
		TurboSecret:      cfg.Streams.TurboStreamsSecret,
		CableReady:       cfg.Streams.CableReady,
		CableReadySecret: cfg.Streams.CableReadySecret,
	}, log)
}
