package main

import (
	"context"
	"fmt"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/broker/memory"
	"github.com/densecable/densecable/broker/redisbroker"
	"github.com/densecable/densecable/broker/redisconn"
)

// setupBroker creates the --broker engine (memory, redis; nats comes with
// the NATS broker). The presence expiry callback reaches the node, created
// later, through the app.
func (a *app) setupBroker() error {
	opts := broker.Options{
		HistoryLimit: a.cfg.Broker.HistoryLimit,
		HistoryTTL:   a.cfg.Broker.HistoryTTL,
		SessionsTTL:  a.cfg.Broker.SessionsTTL,
		PresenceTTL:  a.cfg.Broker.PresenceTTL,
	}
	log := a.log.With("context", "broker")
	switch a.cfg.Broker.Adapter {
	case "", "none", "nats":
		// nats: warned about in warnUnsupported until the JetStream broker lands.
		return nil
	case "memory":
		a.broker = memory.New(opts, a.presenceExpired, log)
	case "redis":
		client, err := redisconn.NewRedisClient(a.redisOptions())
		if err != nil {
			return fmt.Errorf("redis broker: %w", err)
		}
		a.closers = append(a.closers, client.Close)
		a.broker = redisbroker.New(client, opts, a.presenceExpired, log)
	default:
		return fmt.Errorf("unknown broker: %s (supported: memory, redis)", a.cfg.Broker.Adapter)
	}
	return nil
}

func (a *app) presenceExpired(stream string, events []broker.PresenceEvent) {
	if a.node != nil {
		a.node.ExpiredPresence(stream, events)
	}
}

type epocher interface{ Epoch() string }

func (a *app) startBroker() error {
	if a.broker == nil {
		return nil
	}
	if err := a.broker.Start(context.Background()); err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	epoch := ""
	if e, ok := a.broker.(epocher); ok {
		epoch = e.Epoch()
	}
	a.log.Info(fmt.Sprintf("Using %s broker (epoch: %s, history limit: %d, history ttl: %ds, sessions ttl: %ds, presence ttl: %ds)",
		a.cfg.Broker.Adapter, epoch, a.cfg.Broker.HistoryLimit, a.cfg.Broker.HistoryTTL, a.cfg.Broker.SessionsTTL, a.cfg.Broker.PresenceTTL))
	return nil
}
