// Package redisstore is the Redis broker (--broker=redis): stream history
// in Redis Streams, the session cache in string keys and presence in
// sorted sets and hashes, shared by every node that uses the same Redis.
// It needs Redis 7.0 or later (EVALSHA_RO); presence does not need the
// hash-field TTLs of Redis 7.4: each stream's sessions sit in a sorted set
// scored by expiry, and every node sweeps the expired ones with a script.
package redisstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/broker/internal/periodic"
)

// Config is broker.Options plus the Redis broker's own settings.
type Config struct {
	broker.Options
	// Prefix starts every key (DefaultPrefix when empty). Brokers with the
	// same prefix on the same Redis share everything.
	Prefix string
	// SweepInterval is how often this node looks for expired presence
	// (1 s when zero).
	SweepInterval time.Duration
	// SweepBatch bounds the streams handled per sweep round (256 when
	// zero).
	SweepBatch int
	// OccupancyTTL is how long a node counts as alive after its last
	// occupancy change or keep-alive (30 s when zero).
	OccupancyTTL time.Duration
}

// Broker implements broker.Broker on Redis.
type Broker struct {
	client      rueidis.Client
	opts        broker.Options
	keys        keys
	globalEpoch bool // one epoch key for all streams (not in cluster mode)
	interval    time.Duration
	batch       int
	onExpire    broker.ExpiredPresence
	log         *slog.Logger
	node        string        // this process in occupancy sets (occupancy.go)
	occTTL      time.Duration // see Config.OccupancyTTL

	epoch atomic.Pointer[string] // last epoch seen, for logs and Epoch

	sweeper periodic.Task

	sweepFailing atomic.Bool // log a failing sweep once, not every second
}

var _ broker.Broker = (*Broker)(nil)

// New returns a Redis broker using client (see redisconn.NewRedisClient),
// with the default key prefix. onExpire receives the leave events of
// presence that expired (from the sweeper goroutine: it must not block
// for long); it may be nil.
func New(client rueidis.Client, opts broker.Options, onExpire broker.ExpiredPresence, logger *slog.Logger) *Broker {
	return NewWithConfig(client, Config{Options: opts}, onExpire, logger)
}

// NewWithConfig is New with a key prefix and sweep settings.
func NewWithConfig(client rueidis.Client, cfg Config, onExpire broker.ExpiredPresence, logger *slog.Logger) *Broker {
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	if cfg.SweepInterval <= 0 {
		cfg.SweepInterval = time.Second
	}
	if cfg.SweepBatch <= 0 {
		cfg.SweepBatch = 256
	}
	// PEXPIRE 0 would delete at once; a TTL below a second means "a second".
	cfg.HistoryTTL = max(cfg.HistoryTTL, 1)
	cfg.PresenceTTL = max(cfg.PresenceTTL, 1)
	return &Broker{
		client:      client,
		opts:        cfg.Options,
		keys:        keys{prefix: cfg.Prefix},
		globalEpoch: client.Mode() != rueidis.ClientModeCluster,
		interval:    cfg.SweepInterval,
		batch:       cfg.SweepBatch,
		onExpire:    onExpire,
		log:         broker.Logger(logger, "context", "broker", "provider", "redis"),
		node:        broker.NanoID(16),
		occTTL:      cmp.Or(cfg.OccupancyTTL, 30*time.Second),
	}
}

// Epoch is the last epoch this node saw ("" before any; in cluster mode
// each stream has its own epoch and this is the last one stored).
func (b *Broker) Epoch() string {
	if e := b.epoch.Load(); e != nil {
		return *e
	}
	return ""
}

func (b *Broker) setEpoch(e string) {
	if cur := b.epoch.Load(); cur == nil || *cur != e {
		b.epoch.Store(&e)
	}
}

// Start makes sure the shared epoch exists (the first node creates it,
// the others adopt it) and runs the presence sweeper. Redis being down is
// not fatal: the broker works again once Redis is back.
func (b *Broker) Start(ctx context.Context) error {
	b.sweeper.Start(b.interval, func() {
		if b.globalEpoch {
			if err := b.ensureEpoch(ctx); err != nil {
				b.log.Warn("Redis is unavailable; the broker works once it is back", "error", err)
			}
		}
		b.log.Info("starting Redis broker", "prefix", b.keys.prefix, "epoch", b.Epoch(),
			"history_limit", b.opts.HistoryLimit, "history_ttl", b.opts.HistoryTTL,
			"sessions_ttl", b.opts.SessionsTTL, "presence_ttl", b.opts.PresenceTTL)
	}, b.sweepTick)
	return nil
}

// ensureEpoch creates the broker-wide epoch unless another node did.
func (b *Broker) ensureEpoch(ctx context.Context) error {
	k := b.keys.epoch()
	res := b.client.DoMulti(ctx,
		b.client.B().Set().Key(k).Value(broker.NewEpoch()).Nx().Build(),
		b.client.B().Get().Key(k).Build())
	if err := res[0].Error(); err != nil && !rueidis.IsRedisNil(err) {
		return fmt.Errorf("create epoch: %w", err)
	}
	e, err := res[1].ToString()
	if err != nil {
		return fmt.Errorf("read epoch: %w", err)
	}
	b.setEpoch(e)
	return nil
}

// Shutdown stops the sweeper. The client belongs to the caller.
func (b *Broker) Shutdown(ctx context.Context) error {
	if err := b.sweeper.Stop(ctx); err != nil {
		return errors.Join(errors.New("redis broker: sweeper did not stop"), err)
	}
	return nil
}
