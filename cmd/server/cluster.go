package server

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/redis/rueidis"

	"github.com/densecable/densecable/broker"
	natsconn "github.com/densecable/densecable/broker/conn/nats"
	redisconn "github.com/densecable/densecable/broker/conn/redis"
	"github.com/densecable/densecable/broker/embeddednats"
	"github.com/densecable/densecable/broker/pubsub"
	"github.com/densecable/densecable/broker/store/memory"
	"github.com/densecable/densecable/broker/store/nats"
	"github.com/densecable/densecable/broker/store/redis"
)

// The cluster pieces, created in this order: embedded NATS (so that the
// NATS clients below can reach it), the broker (--broker), the inter-node
// pub/sub (--pubsub). Connections to Redis and NATS are shared.

// setupEmbeddedNATS starts --embed_nats before anything connects to NATS.
func (a *app) setupEmbeddedNATS() error {
	c := a.cfg.EmbeddedNATS
	if !c.Enabled {
		return nil
	}
	srv, err := embeddednats.New(embeddednats.Options{
		ServiceAddr:           c.Addr,
		ClusterAddr:           c.Cluster,
		ClusterName:           c.ClusterName,
		Routes:                c.ClusterRoutes,
		GatewayAddr:           c.Gateway,
		Gateways:              c.Gateways,
		GatewayAdvertise:      c.GatewayAdvertise,
		ServerName:            c.ServerName,
		Debug:                 c.Debug,
		Trace:                 c.Trace,
		MaxPayload:            c.MaxPayload,
		JetStream:             c.JetStream || a.cfg.Broker.Adapter == "nats",
		StoreDir:              c.StoreDir,
		JetStreamReadyTimeout: time.Duration(c.JetStreamReadyTimeout) * time.Second,
	}, a.log)
	if err != nil {
		return fmt.Errorf("embedded nats: %w", err)
	}
	if err := srv.Start(context.Background()); err != nil {
		return fmt.Errorf("embedded nats: %w", err)
	}
	a.enats = srv
	a.log.Info(fmt.Sprintf("Embedded NATS server started: %s (name: %s)", srv.ClientURL(), srv.Name()))
	return nil
}

// natsConn returns the shared NATS connection, connecting on first use.
func (a *app) natsConn() (*nats.Conn, error) {
	if a.nc != nil {
		return a.nc, nil
	}
	opts := a.natsOptions()
	opts.Health = &a.natsHealth
	if a.enats != nil && !a.cfg.ExplicitlySet("nats_servers") {
		opts.Servers = a.enats.ClientURL()
	}
	nc, err := natsconn.Connect(opts, "densecable-"+a.cfg.NodeID, a.log.With("context", "nats"))
	if err != nil {
		return nil, fmt.Errorf("nats: %w", err)
	}
	a.nc = nc
	a.closers = append(a.closers, nc.Close)
	return nc, nil
}

// redisClient returns the shared Redis client.
func (a *app) redisClient() (rueidis.Client, error) {
	if a.rc != nil {
		return a.rc, nil
	}
	rc, err := redisconn.NewRedisClient(a.redisOptions())
	if err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	a.rc = rc
	// The broker and pub/sub share the client: one monitor reports its
	// health (rueidis reconnects by itself on the next command).
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		redisconn.Monitor(ctx, rc, a.redisOptions(), &a.redisHealth, a.log.With("context", "redis"))
	}()
	a.closers = append(a.closers, rc.Close, func() { stop(); <-done })
	return rc, nil
}

// setupBroker creates the --broker engine. The presence expiry callback
// reaches the node, created later, through the app.
func (a *app) setupBroker() error {
	opts := broker.Options{
		HistoryLimit: a.cfg.Broker.HistoryLimit,
		HistoryTTL:   a.cfg.Broker.HistoryTTL,
		SessionsTTL:  a.cfg.Broker.SessionsTTL,
		PresenceTTL:  a.cfg.Broker.PresenceTTL,
	}
	log := a.log // the engines add their own context
	switch a.cfg.Broker.Adapter {
	case "", "none":
		return nil
	case "memory":
		a.broker = memory.New(opts, a.presenceExpired, log)
	case "redis":
		rc, err := a.redisClient()
		if err != nil {
			return err
		}
		a.broker = redisstore.New(rc, opts, a.presenceExpired, log)
	case "nats":
		// The embedded server waits for JetStream itself (and only warns);
		// the broker retries until JetStream answers.
		nc, err := a.natsConn()
		if err != nil {
			return err
		}
		var extra []natsstore.Option
		if a.enats != nil && len(a.cfg.EmbeddedNATS.ClusterRoutes) >= 2 {
			// A three-node (or larger) embedded cluster keeps history and
			// sessions on three servers, so one node's loss loses nothing.
			extra = append(extra, natsstore.WithReplicas(3))
		}
		a.broker = natsstore.New(nc, opts, a.presenceExpired, log, extra...)
	default:
		return fmt.Errorf("unknown broker: %s (supported: memory, redis, nats)", a.cfg.Broker.Adapter)
	}
	return nil
}

// setupPubSub creates the --pubsub adapter that carries publications
// between nodes.
func (a *app) setupPubSub() error {
	log := a.log // the adapters add their own context
	switch a.cfg.PubSub.Adapter {
	case "", "none":
		return nil
	case "redis":
		rc, err := a.redisClient()
		if err != nil {
			return err
		}
		a.pubsub = pubsub.NewRedis(rc, a.cfg.PubSub.RedisChannel, log)
	case "nats":
		nc, err := a.natsConn()
		if err != nil {
			return err
		}
		a.pubsub = pubsub.NewNATS(nc, a.cfg.PubSub.NATSChannel, log)
	default:
		return fmt.Errorf("unknown pubsub: %s (supported: redis, nats)", a.cfg.PubSub.Adapter)
	}
	return nil
}

func (a *app) presenceExpired(stream string, events []broker.PresenceEvent) {
	if a.node != nil {
		a.node.ExpiredPresence(stream, events)
	}
}

func (a *app) executeCommand(c *broker.RemoteCommand) {
	if a.node != nil {
		a.node.ExecuteCommand(c)
	}
}

type epocher interface{ Epoch() string }

func (a *app) startBroker() error {
	if a.broker != nil {
		if err := a.broker.Start(context.Background()); err != nil {
			return fmt.Errorf("broker: %w", err)
		}
		epoch := ""
		if e, ok := a.broker.(epocher); ok {
			epoch = e.Epoch()
		}
		a.log.Info(fmt.Sprintf("Using %s broker (epoch: %s, history limit: %d, history ttl: %ds, sessions ttl: %ds, presence ttl: %ds)",
			a.cfg.Broker.Adapter, epoch, a.cfg.Broker.HistoryLimit, a.cfg.Broker.HistoryTTL, a.cfg.Broker.SessionsTTL, a.cfg.Broker.PresenceTTL))
	}
	if a.pubsub != nil {
		if err := a.pubsub.Start(context.Background(), a.pub.Local()); err != nil {
			return fmt.Errorf("pubsub: %w", err)
		}
		a.log.Info("Using " + a.cfg.PubSub.Adapter + " pub/sub")
	}
	return nil
}

func (a *app) stopCluster(ctx context.Context) {
	if a.pubsub != nil {
		if err := a.pubsub.Shutdown(ctx); err != nil {
			a.log.Warn("pubsub shutdown", "error", err)
		}
	}
	if a.broker != nil {
		if err := a.broker.Shutdown(ctx); err != nil {
			a.log.Warn("broker shutdown", "error", err)
		}
	}
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	if a.enats != nil {
		if err := a.enats.Shutdown(ctx); err != nil {
			a.log.Warn("embedded nats shutdown", "error", err)
		}
	}
}
