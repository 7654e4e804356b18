// Package natsstore is the broker engine on NATS JetStream (--broker=nats):
// stream history, the session cache and presence shared by every node that
// connects to the same NATS (or embedded NATS cluster).
//
// History lives in one JetStream stream with a subject per broadcast
// stream, capped at history_limit messages per subject. Offsets are
// assigned with JetStream's per-subject compare-and-set (a publish that
// expects the subject's last sequence), so two nodes never hand out the
// same offset and offsets follow the stream's order. Messages older than
// history_ttl are no longer returned; the stream itself keeps a subject for
// 10 × history_ttl after its last publication, so offsets go on from where
// they were until a stream has been idle that long (as the memory broker
// does), and a client's old offset is rejected rather than misread.
//
// The epoch is created once in a KV bucket and shared by all nodes.
// Sessions live in a KV bucket whose entries expire after sessions_ttl.
// Presence is one KV record per (stream, presence id) listing the sessions
// with that id and the node of each; every change is a compare-and-set, so
// a join or leave is reported by exactly one node. A node expires its own
// sessions that stopped touching their presence, and reaps the sessions of
// nodes whose heartbeat stopped (a crashed node) after presence_ttl.
package natsstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/broker/internal/backoff"
)

// opTimeout bounds a JetStream call when the caller's context has no
// deadline.
const opTimeout = 5 * time.Second

var errNotStarted = errors.New("nats broker: not started")

// Option adjusts the engine.
type Option func(*config)

type config struct {
	prefix   string
	replicas int
}

// WithPrefix names the shared JetStream resources (DefaultPrefix); nodes of
// one cluster must use the same prefix, separate clusters on one NATS
// different ones.
func WithPrefix(prefix string) Option { return func(c *config) { c.prefix = prefix } }

// WithReplicas sets the replication factor of the stream and buckets (1; a
// JetStream cluster of three or more servers may use 3).
func WithReplicas(n int) Option { return func(c *config) { c.replicas = n } }

// Broker is the JetStream engine; it implements broker.Broker.
type Broker struct {
	nc       *nats.Conn
	js       jetstream.JetStream
	opts     broker.Options
	cfg      config
	names    names
	onExpire broker.ExpiredPresence
	log      *slog.Logger
	node     string // this process's id in presence records
	setupErr error  // a bad configuration found by New

	historyTTL, presenceTTL time.Duration

	mu       sync.Mutex // guards the handles and started
	history  jetstream.Stream
	sessions jetstream.KeyValue // nil when sessions_ttl is 0
	state    jetstream.KeyValue
	started  bool
	epoch    atomic.Pointer[string]

	// gate: operations share it; recreating lost resources takes it alone.
	gate        sync.RWMutex
	resetupMu   sync.Mutex
	lastResetup time.Time

	offsets    offsetCache
	storeLocks *stripedLocks // one Store per stream at a time on this node

	presence *localPresence
	expireMu sync.Mutex // one local expiry pass at a time
	hbMu     sync.Mutex
	hbRev    uint64 // revision of this node's last heartbeat

	occ occupancyReaper // occupancy.go

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

var _ broker.Broker = (*Broker)(nil)

// New returns an engine on conn, which it shares and does not close. opts
// are taken as they are (broker.DefaultOptions has anycable-go's
// defaults); TTLs below a second count as one second. onExpire receives the
// leave events of presence that expired (it may be nil; it runs on the
// expiry goroutine and must not block for long). Nothing is created in
// JetStream before Start.
func New(conn *nats.Conn, opts broker.Options, onExpire broker.ExpiredPresence, logger *slog.Logger, extra ...Option) *Broker {
	if onExpire == nil {
		onExpire = func(string, []broker.PresenceEvent) {}
	}
	cfg := config{prefix: DefaultPrefix, replicas: 1}
	for _, o := range extra {
		o(&cfg)
	}
	opts = normalize(opts)
	b := &Broker{
		nc:          conn,
		opts:        opts,
		cfg:         cfg,
		onExpire:    onExpire,
		log:         broker.Logger(logger, "context", "broker", "provider", "nats"),
		node:        randomString(12, nodeAlphabet),
		historyTTL:  time.Duration(opts.HistoryTTL) * time.Second,
		presenceTTL: time.Duration(opts.PresenceTTL) * time.Second,
		presence:    newLocalPresence(),
		storeLocks:  newStripedLocks(),
	}
	b.names, b.setupErr = newNames(cfg.prefix)
	if cfg.replicas < 1 || cfg.replicas > 5 {
		b.setupErr = fmt.Errorf("replicas must be 1 to 5, got %d", cfg.replicas)
	}
	js, err := jetstream.New(conn)
	if err != nil && b.setupErr == nil {
		b.setupErr = err
	}
	b.js = js
	return b
}

// normalize keeps TTLs of at least a second; history_limit 0 keeps no
// history (offsets are still assigned) and sessions_ttl 0 turns the session
// cache off, as in the other engines.
func normalize(o broker.Options) broker.Options {
	o.HistoryTTL = max(o.HistoryTTL, 1)
	o.PresenceTTL = max(o.PresenceTTL, 1)
	o.HistoryLimit = max(o.HistoryLimit, 0)
	o.SessionsTTL = max(o.SessionsTTL, 0)
	return o
}

// Epoch is the cluster's epoch (empty before Start).
func (b *Broker) Epoch() string {
	if e := b.epoch.Load(); e != nil {
		return *e
	}
	return ""
}

// Start creates (or joins) the shared stream, buckets and epoch, retrying
// while JetStream is unavailable (a cluster without quorum yet) until ctx is
// done, then starts the presence heartbeat and expiry.
func (b *Broker) Start(ctx context.Context) error {
	if b.setupErr != nil {
		return fmt.Errorf("nats broker: %w", b.setupErr)
	}
	b.mu.Lock()
	if b.started {
		b.mu.Unlock()
		return errors.New("nats broker: already started")
	}
	b.mu.Unlock()
	b.log.Info("Starting NATS broker", "servers", b.nc.Servers(), "history_limit", b.opts.HistoryLimit,
		"history_ttl", b.opts.HistoryTTL, "sessions_ttl", b.opts.SessionsTTL, "presence_ttl", b.opts.PresenceTTL)
	link := backoff.NewLink(backoff.Policy{Log: b.log})
	// While a fresh cluster settles its routes, replies get lost: short
	// attempts (growing to opTimeout) retry sooner than one long wait.
	attempt := time.Second
	for {
		actx, cancel := context.WithTimeout(ctx, attempt)
		err := b.setup(actx)
		cancel()
		if err == nil {
			break
		}
		attempt = min(2*attempt, opTimeout)
		if ctx.Err() != nil {
			return fmt.Errorf("nats broker: set up JetStream: %w", err)
		}
		if _, failures := link.Down(); failures == 1 {
			b.log.Warn("JetStream is not available yet, retrying", "error", err)
		} else {
			b.log.Debug("JetStream is still not available", "error", err, "attempt", failures-1)
		}
		if !link.Wait(ctx) {
			return fmt.Errorf("nats broker: set up JetStream: %w", err)
		}
	}
	b.log.Info("NATS broker ready", "epoch", b.Epoch(), "node", b.node)

	runCtx, cancel := context.WithCancel(context.Background())
	b.mu.Lock()
	b.started, b.cancel = true, cancel
	b.mu.Unlock()
	// Announce this node before any presence names it.
	if err := b.heartbeat(ctx); err != nil {
		b.log.Warn("failed to write the presence heartbeat", "error", err)
	}
	b.wg.Add(2)
	go b.heartbeatLoop(runCtx)
	go b.expiryLoop(runCtx)
	return nil
}

// setup creates the resources when missing (and updates their limits) and
// reads or creates the epoch.
func (b *Broker) setup(ctx context.Context) error {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	maxAge := 10 * b.historyTTL
	history, err := b.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:              b.names.history,
		Description:       "densecable stream history",
		Subjects:          []string{b.names.historySubjects},
		Retention:         jetstream.LimitsPolicy,
		Storage:           jetstream.FileStorage,
		Discard:           jetstream.DiscardOld,
		MaxMsgsPerSubject: int64(max(b.opts.HistoryLimit, 1)), // the last one carries the offset
		MaxAge:            maxAge,
		Duplicates:        min(maxAge, time.Minute), // no message ids are used
		Replicas:          b.cfg.replicas,
	})
	if err != nil {
		return fmt.Errorf("history stream %s: %w", b.names.history, err)
	}
	var sessions jetstream.KeyValue
	if b.opts.SessionsTTL > 0 {
		sessions, err = b.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:      b.names.sessions,
			Description: "densecable session snapshots",
			History:     1,
			TTL:         time.Duration(b.opts.SessionsTTL) * time.Second,
			Storage:     jetstream.FileStorage,
			Replicas:    b.cfg.replicas,
		})
		if err != nil {
			return fmt.Errorf("sessions bucket %s: %w", b.names.sessions, err)
		}
	}
	state, err := b.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      b.names.state,
		Description: "densecable epoch, nodes and presence",
		History:     1,
		Storage:     jetstream.FileStorage,
		Replicas:    b.cfg.replicas,
	})
	if err != nil {
		return fmt.Errorf("state bucket %s: %w", b.names.state, err)
	}
	epoch, err := loadEpoch(ctx, state)
	if err != nil {
		return err
	}
	b.mu.Lock()
	b.history, b.sessions, b.state = history, sessions, state
	b.mu.Unlock()
	if old := b.Epoch(); old != "" && old != epoch {
		b.log.Warn("the shared epoch changed (JetStream data was lost)", "old", old, "new", epoch)
		b.offsets.clear()
	}
	b.epoch.Store(&epoch)
	return nil
}

// loadEpoch returns the shared epoch, creating it when this node is first.
func loadEpoch(ctx context.Context, kv jetstream.KeyValue) (string, error) {
	for range 3 {
		e, err := kv.Get(ctx, epochKey)
		if err == nil {
			return string(e.Value()), nil
		}
		if !errors.Is(err, jetstream.ErrKeyNotFound) {
			return "", fmt.Errorf("read epoch: %w", err)
		}
		epoch := broker.NewEpoch()
		if _, err = kv.Create(ctx, epochKey, []byte(epoch)); err == nil {
			return epoch, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return "", fmt.Errorf("create epoch: %w", err)
		}
		// Another node created it first: read theirs.
	}
	return "", errors.New("epoch: too many concurrent creations")
}

// Shutdown stops the presence loops. Presence of this node's sessions is
// left to expire (other nodes reap it after presence_ttl), as for any
// dropped session.
func (b *Broker) Shutdown(ctx context.Context) error {
	b.mu.Lock()
	cancel := b.cancel
	b.cancel, b.started = nil, false
	b.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	done := make(chan struct{})
	go func() { b.wg.Wait(); close(done) }()
	return backoff.Stopped(ctx, done, "nats broker")
}

// handles returns the JetStream handles, or errNotStarted.
func (b *Broker) handles() (jetstream.Stream, jetstream.KeyValue, jetstream.KeyValue, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.history == nil {
		return nil, nil, nil, errNotStarted
	}
	return b.history, b.sessions, b.state, nil
}

// withTimeout gives ctx a deadline when it has none.
func withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, opTimeout)
}
