package server

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/densecable/densecable/api"
	"github.com/densecable/densecable/api/broadcast"
	"github.com/densecable/densecable/broker"
	natsbroadcast "github.com/densecable/densecable/broker/broadcast/nats"
	redisbroadcast "github.com/densecable/densecable/broker/broadcast/redis"
	"github.com/densecable/densecable/broker/broadcast/redisx"
	natsconn "github.com/densecable/densecable/broker/conn/nats"
	redisconn "github.com/densecable/densecable/broker/conn/redis"
)

// setupBroadcasting prepares the broadcasters named by --broadcast_adapter:
// http (an endpoint on the main port or its own), redis, redisx, nats.
func (a *app) setupBroadcasting() error {
	a.bstats = &broker.Stats{}
	b := &a.cfg.Broadcast
	for _, name := range b.Adapters {
		var l broker.Broadcaster // nil for http: a handler, not a listener
		switch strings.TrimSpace(name) {
		case "http":
			h := broadcast.NewHandler(broadcast.Options{
				Path:           b.HTTPPath,
				Key:            b.Key,
				CORS:           b.HTTPCORS,
				AllowedOrigins: strings.Join(a.cfg.Server.AllowedOrigins, ","),
				Stats:          a.bstats,
			}, a.pub, a.log)
			if b.HTTPPort == a.cfg.Server.Port {
				a.router.Handle(b.HTTPPath, h)
			} else {
				r := api.NewRouter()
				r.Handle(b.HTTPPath, h)
				a.bcastSrv = api.NewHTTPServer(r.Serve, api.DefaultHTTPTimeouts)
			}
		case "redis":
			o := redisbroadcast.Options{Redis: a.redisOptions(), Channel: b.RedisChannel}
			l = redisbroadcast.New(o, a.bstats, a.log)
		case "redisx":
			l = redisx.New(redisx.Options{
				Redis:     a.redisOptions(),
				Stream:    b.RedisXStream,
				Group:     b.RedisXGroup,
				Consumer:  a.cfg.NodeID,
				ReadBlock: time.Duration(b.RedisXReadBlockMilliseconds) * time.Millisecond,
			}, a.bstats, a.log)
		case "nats":
			o := natsbroadcast.Options{NATS: a.natsOptions(), Channel: b.NATSChannel}
			l = natsbroadcast.New(o, a.bstats, a.log)
		case "":
		default:
			return fmt.Errorf("unknown broadcast adapter: %s", name)
		}
		if l != nil {
			a.listeners = append(a.listeners, l)
		}
	}
	return nil
}

func (a *app) redisOptions() redisconn.RedisOptions {
	o := redisconn.DefaultRedisOptions()
	c := a.cfg.Redis
	o.URL = c.URL
	o.Sentinels = c.Sentinels
	if c.SentinelDiscoveryInterval > 0 {
		o.SentinelDiscoveryInterval = time.Duration(c.SentinelDiscoveryInterval) * time.Second
	}
	if c.KeepaliveInterval > 0 {
		o.KeepaliveInterval = time.Duration(c.KeepaliveInterval) * time.Second
	}
	o.TLSVerify = c.TLSVerify
	o.TLSCACertPath = c.TLSCACertPath
	o.TLSClientCertPath = c.TLSClientCertPath
	o.TLSClientKeyPath = c.TLSClientKeyPath
	o.DisableCache = c.DisableCache
	o.MaxReconnectAttempts = c.MaxReconnectAttempts
	return o
}

func (a *app) natsOptions() natsconn.NATSOptions {
	return natsconn.NATSOptions{
		Servers:              a.cfg.NATS.Servers,
		DontRandomizeServers: a.cfg.NATS.DontRandomizeServers,
		MaxReconnectAttempts: a.cfg.NATS.MaxReconnectAttempts,
	}
}

// unhealthy counts the components that report their Redis or NATS away for
// max_reconnect_attempts: the broadcasters, and the shared connections of
// the broker and pub/sub. They keep retrying; /health answers 503 meanwhile.
func (a *app) unhealthy() int {
	n := 0
	for _, b := range a.listeners {
		if h, ok := b.(broker.HealthReporter); ok && !h.Healthy() {
			n++
		}
	}
	if a.rc != nil && !a.redisHealth.Healthy() {
		n++
	}
	if a.nc != nil && !a.natsHealth.Healthy() {
		n++
	}
	return n
}

// startBroadcasting starts the broadcasters and the separate HTTP listener.
func (a *app) startBroadcasting() error {
	if a.bcastSrv != nil {
		addr := net.JoinHostPort(a.cfg.Server.Host, strconv.Itoa(a.cfg.Broadcast.HTTPPort))
		ln, err := a.listenShared(socketBroadcast, addr, a.cfg.Server.ReusePort)
		if err != nil {
			return fmt.Errorf("broadcast listener %s: %w", addr, err)
		}
		a.bcastLn = ln
		go func() { _ = a.bcastSrv.Serve(&api.RetryListener{Listener: ln, Log: a.log}) }()
		a.log.Info(fmt.Sprintf("Accept broadcast requests at http://%s%s%s", ln.Addr(), a.cfg.Broadcast.HTTPPath, broadcastAuthMode(a.cfg)))
	} else if a.cfg.HasBroadcastAdapter("http") {
		a.log.Info(fmt.Sprintf("Accept broadcast requests at http://%s%s%s", a.ws.Addr(), a.cfg.Broadcast.HTTPPath, broadcastAuthMode(a.cfg)))
	}
	for _, b := range a.listeners {
		// Fan-out adapters (redis, nats) reach every node already: they
		// deliver locally. The others go through the broker and pub/sub.
		var h broker.Handler = a.pub
		if b.IsFanout() {
			h = a.pub.Local()
		}
		if err := b.Start(context.Background(), h); err != nil {
			return err
		}
	}
	return nil
}
