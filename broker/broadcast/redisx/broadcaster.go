package redisx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/redis/rueidis"

	"github.com/densecable/densecable/broker"
	redisconn "github.com/densecable/densecable/broker/conn/redis"
	"github.com/densecable/densecable/broker/internal/backoff"
)

// Broadcaster consumes the stream as one member of the group.
type Broadcaster struct {
	opts  Options
	stats *broker.Stats
	log   *slog.Logger

	// stop ends the loop between reads (graceful); kill aborts commands
	// in flight (when the shutdown deadline passes).
	stop, kill context.CancelFunc
	done       chan struct{}

	health broker.Health
	// lastID is the last entry read (only the run goroutine uses it): a
	// group lost with Redis's data is recreated there, not at `$`, so
	// entries added after the restart but before the group are not skipped.
	lastID string

	client redisconn.Lazy
}

// Healthy is false while Redis has been unreachable for
// Redis.MaxReconnectAttempts attempts in a row.
func (b *Broadcaster) Healthy() bool { return b.health.Healthy() }

var _ broker.Broadcaster = (*Broadcaster)(nil)

// New returns a broadcaster; nothing connects before Start.
func New(opts Options, stats *broker.Stats, logger *slog.Logger) *Broadcaster {
	opts = opts.withDefaults()
	if opts.Consumer == "" {
		var b [6]byte
		_, _ = rand.Read(b[:])
		opts.Consumer = hex.EncodeToString(b[:])
	}
	return &Broadcaster{
		opts:  opts,
		stats: stats,
		log:   broker.Logger(logger, "context", "broadcast", "provider", "redisx"),
	}
}

// IsFanout is false: each entry goes to one node of the group.
func (*Broadcaster) IsFanout() bool { return false }

// Start validates the options and begins consuming. It returns once the group
// is ready, or after the first attempt failed (it keeps retrying in the
// background), or when ctx is done; only a configuration error is returned.
func (b *Broadcaster) Start(ctx context.Context, h broker.Handler) error {
	co, err := b.opts.Redis.ClientOption()
	if err != nil {
		return fmt.Errorf("redisx broadcaster: %w", err)
	}
	// Errors surface to the loop, which logs a loss once and reconnects.
	co.DisableRetry = true
	// No key reads here, so no use for client-side caching (and no
	// CLIENT TRACKING for managed Redis services to refuse).
	co.DisableCache = true

	stopCtx, stop := context.WithCancel(context.Background())
	killCtx, kill := context.WithCancel(context.Background())
	b.stop, b.kill = stop, kill
	b.done = make(chan struct{})
	d := &broker.Dispatcher{Handler: h, Stats: b.stats, Log: b.log}

	b.log.Info("starting Redis stream broadcaster", "redis", b.opts.Redis.Describe(),
		"stream", b.opts.Stream, "group", b.opts.Group, "consumer", b.opts.Consumer)
	link := backoff.NewLink(b.opts.Redis.ReconnectPolicy(&b.health, b.log))
	link.Keep(ctx, stopCtx, "Redis", b.done, func(ready func()) error {
		return b.consume(stopCtx, killCtx, co, d, link, ready)
	})
	return nil
}

// consume (re)creates the group and reads until an error or a stop.
func (b *Broadcaster) consume(stopCtx, ctx context.Context, co rueidis.ClientOption, d *broker.Dispatcher, link *backoff.Link, ready func()) error {
	c, err := b.client.Get(co)
	if err != nil {
		return err
	}
	// Every time: a Redis restarted without persistence lost the group.
	if err := b.createGroup(ctx, c); err != nil {
		return err
	}
	if link.Up() {
		b.log.Info("Reconnected to Redis")
	} else {
		b.log.Info("Consuming Redis stream", "stream", b.opts.Stream, "group", b.opts.Group)
	}
	ready()

	cursor := "0-0"
	var lastClaim time.Time
	for stopCtx.Err() == nil {
		if time.Since(lastClaim) >= b.opts.ClaimIdle {
			entries, next, err := b.autoclaim(ctx, c, cursor)
			if err != nil {
				return fmt.Errorf("XAUTOCLAIM: %w", err)
			}
			cursor, lastClaim = next, time.Now()
			if len(entries) > 0 {
				b.log.Debug("claimed pending entries", "count", len(entries))
				b.handle(ctx, c, d, entries)
			}
		}
		entries, err := b.read(ctx, c)
		if err != nil {
			return fmt.Errorf("XREADGROUP: %w", err)
		}
		b.handle(ctx, c, d, entries)
	}
	return nil
}

func (b *Broadcaster) createGroup(ctx context.Context, c rueidis.Client) error {
	at := "$"
	if b.lastID != "" {
		at = b.lastID
	}
	err := c.Do(ctx, c.B().XgroupCreate().Key(b.opts.Stream).Group(b.opts.Group).Id(at).Mkstream().Build()).Error()
	if err == nil {
		return nil
	}
	if re, ok := rueidis.IsRedisErr(err); ok && strings.HasPrefix(re.Error(), "BUSYGROUP") {
		return nil
	}
	return fmt.Errorf("create consumer group %q: %w", b.opts.Group, err)
}

func (b *Broadcaster) read(ctx context.Context, c rueidis.Client) ([]rueidis.XRangeEntry, error) {
	cmd := c.B().Xreadgroup().Group(b.opts.Group, b.opts.Consumer).Count(b.opts.BatchSize).
		Block(b.opts.ReadBlock.Milliseconds()).Streams().Key(b.opts.Stream).Id(">").Build()
	res, err := c.Do(ctx, cmd).AsXRead()
	if err != nil {
		if rueidis.IsRedisNil(err) { // BLOCK timed out
			return nil, nil
		}
		return nil, err
	}
	return res[b.opts.Stream], nil
}

// autoclaim takes over entries idle for ClaimIdle (their consumer died or
// failed to handle them) and returns them with the cursor for the next call.
func (b *Broadcaster) autoclaim(ctx context.Context, c rueidis.Client, cursor string) ([]rueidis.XRangeEntry, string, error) {
	cmd := c.B().Xautoclaim().Key(b.opts.Stream).Group(b.opts.Group).Consumer(b.opts.Consumer).
		MinIdleTime(strconv.FormatInt(b.opts.ClaimIdle.Milliseconds(), 10)).Start(cursor).Count(b.opts.BatchSize).Build()
	arr, err := c.Do(ctx, cmd).ToArray()
	if err != nil {
		if rueidis.IsRedisNil(err) {
			return nil, "0-0", nil
		}
		return nil, cursor, err
	}
	if len(arr) < 2 {
		return nil, cursor, fmt.Errorf("unexpected reply with %d elements", len(arr))
	}
	next, err := arr[0].ToString()
	if err != nil {
		return nil, cursor, err
	}
	entries, err := arr[1].AsXRange()
	if err != nil {
		return nil, cursor, err
	}
	return entries, next, nil
}

// handle dispatches entries in order, then acknowledges and deletes the ones
// that are done: delivered, malformed (retrying cannot help) or deleted.
// Entries the handler failed on stay pending and are claimed again later.
func (b *Broadcaster) handle(ctx context.Context, c rueidis.Client, d *broker.Dispatcher, entries []rueidis.XRangeEntry) {
	if len(entries) == 0 {
		return
	}
	done := make([]string, 0, len(entries))
	var failed int
	var firstErr error
	var firstID string
	if last := entries[len(entries)-1].ID; streamIDLess(b.lastID, last) {
		b.lastID = last
	}
	for _, e := range entries {
		if e.FieldValues == nil { // deleted while pending
			done = append(done, e.ID)
			continue
		}
		err := d.DispatchString(e.FieldValues[PayloadField])
		if err != nil && !broker.IsMalformed(err) {
			if failed == 0 {
				firstErr, firstID = err, e.ID
			}
			failed++
			continue
		}
		done = append(done, e.ID)
	}
	if failed > 0 {
		// One line per batch: while the broker is away every entry fails.
		b.log.Error("broadcast failed, leaving the entry pending", "id", firstID, "entries", failed, "error", firstErr)
	}
	if len(done) == 0 {
		return
	}
	res := c.DoMulti(ctx,
		c.B().Xack().Key(b.opts.Stream).Group(b.opts.Group).Id(done...).Build(),
		c.B().Xdel().Key(b.opts.Stream).Id(done...).Build(),
	)
	for _, r := range res {
		if err := r.Error(); err != nil {
			// The entries will be claimed and delivered again.
			b.log.Error("failed to acknowledge stream entries", "count", len(done), "error", err)
			return
		}
	}
}

// Shutdown finishes the read in flight (up to ReadBlock), removes this
// consumer from the group when it holds no pending entries (pending ones stay
// for other nodes to claim), and closes the connection.
func (b *Broadcaster) Shutdown(ctx context.Context) error {
	if b.stop == nil {
		return nil
	}
	b.stop()
	var err error
	select {
	case <-b.done:
	case <-ctx.Done():
		err = fmt.Errorf("redisx broadcaster shutdown: %w", ctx.Err())
		b.kill()
		<-b.done
	}
	b.kill()

	b.client.Close(func(c rueidis.Client) {
		if err == nil {
			b.removeConsumer(ctx, c)
		}
	})
	return err
}

func (b *Broadcaster) removeConsumer(ctx context.Context, c rueidis.Client) {
	pending, err := c.Do(ctx, c.B().Xpending().Key(b.opts.Stream).Group(b.opts.Group).
		Start("-").End("+").Count(1).Consumer(b.opts.Consumer).Build()).ToArray()
	if err != nil {
		b.log.Debug("could not check pending entries", "error", err)
		return
	}
	if len(pending) > 0 {
		b.log.Info("leaving pending entries for other nodes", "consumer", b.opts.Consumer)
		return
	}
	if err := c.Do(ctx, c.B().XgroupDelconsumer().Key(b.opts.Stream).Group(b.opts.Group).
		Consumername(b.opts.Consumer).Build()).Error(); err != nil {
		b.log.Debug("could not remove the stream consumer", "error", err)
	}
}

// streamIDLess compares stream ids ("ms-seq"); "" is the smallest.
func streamIDLess(a, b string) bool {
	if a == "" || b == "" {
		return a == "" && b != ""
	}
	am, as, _ := strings.Cut(a, "-")
	bm, bs, _ := strings.Cut(b, "-")
	ami, _ := strconv.ParseUint(am, 10, 64)
	bmi, _ := strconv.ParseUint(bm, 10, 64)
	if ami != bmi {
		return ami < bmi
	}
	asi, _ := strconv.ParseUint(as, 10, 64)
	bsi, _ := strconv.ParseUint(bs, 10, 64)
	return asi < bsi
}
