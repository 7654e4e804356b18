// Package memory is the in-memory broker (--broker=memory): stream history
// with epoch and offsets, the resumable-session cache and presence, for a
// single node. Everything is lost on restart; a new epoch tells clients so.
package memory

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/broker/internal/periodic"
)

// Config is broker.Options plus what tests (and tuning) may change.
type Config struct {
	broker.Options
	// Now is the clock (time.Now when nil); tests move it by hand.
	Now func() time.Time
	// SweepInterval is how often expired history, sessions and presence
	// are removed (1 s when zero).
	SweepInterval time.Duration
}

// Broker keeps everything in sharded maps, so that work on different
// streams (or sessions) rarely meets on one mutex.
type Broker struct {
	opts     broker.Options
	now      func() time.Time
	interval time.Duration
	epoch    string
	onExpire broker.ExpiredPresence
	log      *slog.Logger

	streams  [shardCount]streamShard
	sessions [shardCount]sessionShard
	presence [shardCount]presenceShard // by stream
	members  [shardCount]memberShard   // by session: its presence streams

	sweeper periodic.Task
}

var _ broker.Broker = (*Broker)(nil)

// New returns an in-memory broker with a fresh epoch. onExpire receives
// the leave events of presence that was not touched within presence_ttl
// (from the sweeper goroutine: it must not block for long); it may be nil.
func New(opts broker.Options, onExpire broker.ExpiredPresence, logger *slog.Logger) *Broker {
	return NewWithConfig(Config{Options: opts}, onExpire, logger)
}

// NewWithConfig is New with a clock and a sweep interval.
func NewWithConfig(cfg Config, onExpire broker.ExpiredPresence, logger *slog.Logger) *Broker {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SweepInterval <= 0 {
		cfg.SweepInterval = time.Second
	}
	b := &Broker{
		opts:     cfg.Options,
		now:      cfg.Now,
		interval: cfg.SweepInterval,
		epoch:    broker.NewEpoch(),
		onExpire: onExpire,
		log:      broker.Logger(logger, "context", "broker", "provider", "memory"),
	}
	for i := range shardCount {
		b.streams[i].m = make(map[string]*stream)
		b.sessions[i].m = make(map[string]sessionEntry)
		b.presence[i].m = make(map[string]*presenceStream)
		b.members[i].m = make(map[string]map[string]struct{})
	}
	return b
}

// Epoch is this process's epoch, the same for every stream.
func (b *Broker) Epoch() string { return b.epoch }

// Start runs the sweeper. Calling it again while running does nothing.
func (b *Broker) Start(context.Context) error {
	b.sweeper.Start(b.interval, func() {
		b.log.Info("starting in-memory broker", "epoch", b.epoch,
			"history_limit", b.opts.HistoryLimit, "history_ttl", b.opts.HistoryTTL,
			"sessions_ttl", b.opts.SessionsTTL, "presence_ttl", b.opts.PresenceTTL)
	}, b.Sweep)
	return nil
}

// Shutdown stops the sweeper; the data stays readable.
func (b *Broker) Shutdown(ctx context.Context) error {
	if err := b.sweeper.Stop(ctx); err != nil {
		return errors.Join(errors.New("memory broker: sweeper did not stop"), err)
	}
	return nil
}

// Sweep removes what has expired by now: history entries older than
// history_ttl, streams idle for 10×history_ttl, sessions past sessions_ttl
// and presence past presence_ttl (whose leave events go to onExpire). The
// sweeper calls it every second; tests call it after moving the clock.
func (b *Broker) Sweep() {
	now := b.now()
	b.sweepHistory(now.Unix())
	b.sweepSessions(now.UnixNano())
	b.sweepPresence(now.UnixNano())
}
