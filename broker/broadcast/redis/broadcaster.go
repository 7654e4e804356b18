// Package redisbroadcast is the `redis` broadcast adapter: publications
// published to a Redis Pub/Sub channel reach every node (fan-out, no broker).
package redisbroadcast

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/redis/rueidis"

	"github.com/densecable/densecable/broker"
	redisconn "github.com/densecable/densecable/broker/conn/redis"
	"github.com/densecable/densecable/broker/internal/backoff"
)

// DefaultChannel is redis_channel's default.
const DefaultChannel = "__anycable__"

// Options configure the broadcaster.
type Options struct {
	Redis redisconn.RedisOptions
	// Channel is the Pub/Sub channel (redis_channel).
	Channel string
}

// Broadcaster subscribes to the channel and dispatches every message.
type Broadcaster struct {
	opts  Options
	stats *broker.Stats
	log   *slog.Logger

	health broker.Health

	cancel context.CancelFunc
	done   chan struct{}
	client redisconn.Lazy
}

var _ broker.Broadcaster = (*Broadcaster)(nil)

// New returns a broadcaster; nothing connects before Start.
func New(opts Options, stats *broker.Stats, logger *slog.Logger) *Broadcaster {
	opts.Channel = cmp.Or(opts.Channel, DefaultChannel)
	log := broker.Logger(logger, "context", "broadcast", "provider", "redis")
	return &Broadcaster{opts: opts, stats: stats, log: log}
}

// Healthy is false while Redis has been unreachable for
// Redis.MaxReconnectAttempts attempts in a row.
func (b *Broadcaster) Healthy() bool { return b.health.Healthy() }

// IsFanout is true: every node subscribes and gets every message.
func (*Broadcaster) IsFanout() bool { return true }

// Start validates the options and subscribes. It returns once subscribed, or
// after the first attempt failed (it keeps retrying in the background), or
// when ctx is done; only a configuration error is returned.
func (b *Broadcaster) Start(ctx context.Context, h broker.Handler) error {
	co, err := b.opts.Redis.ClientOption()
	if err != nil {
		return fmt.Errorf("redis broadcaster: %w", err)
	}
	// Let Receive return on a lost connection so the loop below sees it,
	// logs it and resubscribes (rueidis would otherwise retry silently).
	co.DisableRetry = true
	// No key reads here, so no use for client-side caching (and no
	// CLIENT TRACKING for managed Redis services to refuse).
	co.DisableCache = true

	runCtx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	b.done = make(chan struct{})
	d := &broker.Dispatcher{Handler: h, Stats: b.stats, Log: b.log, Fanout: true}

	b.log.Info("starting Redis broadcaster", "redis", b.opts.Redis.Describe(), "channel", b.opts.Channel)
	link := backoff.NewLink(b.opts.Redis.ReconnectPolicy(&b.health, b.log))
	link.Keep(ctx, runCtx, "Redis", b.done, func(ready func()) error {
		// The hook runs on rueidis's reader goroutine.
		hookCtx := rueidis.WithOnSubscriptionHook(runCtx, func(s rueidis.PubSubSubscription) {
			if s.Kind != "subscribe" || s.Channel != b.opts.Channel {
				return
			}
			if link.Up() {
				b.log.Info("Reconnected to Redis", "channel", s.Channel)
			} else {
				b.log.Info("Subscribed to Redis channel", "channel", s.Channel)
			}
			ready()
		})
		if err := b.subscribe(hookCtx, co, d); err != nil {
			return err
		}
		return errors.New("subscription ended")
	})
	return nil
}

// subscribe makes sure there is a client and blocks in SUBSCRIBE until the
// connection is lost or ctx is done.
func (b *Broadcaster) subscribe(ctx context.Context, co rueidis.ClientOption, d *broker.Dispatcher) error {
	c, err := b.client.Get(co)
	if err != nil {
		return err
	}
	return c.Receive(ctx, c.B().Subscribe().Channel(b.opts.Channel).Build(), func(m rueidis.PubSubMessage) {
		// Runs on rueidis's reader goroutine, in channel order; the
		// handler hands work off quickly (broker.Handler's contract).
		_ = d.DispatchString(m.Message)
	})
}

// Shutdown stops the subscription and closes the connection.
func (b *Broadcaster) Shutdown(ctx context.Context) error {
	if b.cancel == nil {
		return nil
	}
	b.cancel()
	b.client.Close(nil)
	return backoff.Stopped(ctx, b.done, "redis broadcaster")
}
