package pubsub

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/broker/internal/backoff"
)

// The bound on one SUBSCRIBE/UNSUBSCRIBE round.
const (
	redisCmdTimout = 10 * time.Second
	redisBatch     = 512 // channels per SUBSCRIBE/UNSUBSCRIBE command
)

// Redis is the pub/sub on Redis PUBLISH/SUBSCRIBE. Stream channels are named
// after the stream (anycable-go's naming); subscriptions live on one
// dedicated connection taken from the shared client, and a lost connection
// is replaced, with every wanted channel subscribed again, after a backoff.
// Publishing goes through the shared client.
type Redis struct {
	client  rueidis.Client
	channel string
	log     *slog.Logger

	chans *channelSet
	kick  chan struct{} // pending (un)subscriptions to send
	// live is true while the subscription connection is up with its
	// channels sent: publishing is refused otherwise (see publish).
	live atomic.Bool

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

var _ broker.PubSub = (*Redis)(nil)

// NewRedis returns a pub/sub on client, which it shares and does not close.
// channel is the internal channel for remote commands (DefaultChannel when
// empty).
func NewRedis(client rueidis.Client, channel string, logger *slog.Logger) *Redis {
	return &Redis{
		client:  client,
		channel: cmp.Or(channel, DefaultChannel),
		log:     broker.Logger(logger, "context", "pubsub", "provider", "redis"),
		chans:   newChannelSet(),
		kick:    make(chan struct{}, 1),
	}
}

// Start subscribes to the internal channel and starts delivering to h. It
// returns once subscribed, after the first attempt failed (it keeps retrying
// in the background) or when ctx is done.
func (r *Redis) Start(ctx context.Context, h broker.Handler) error {
	r.mu.Lock()
	if r.cancel != nil {
		r.mu.Unlock()
		return errors.New("redis pub/sub: already started")
	}
	runCtx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan struct{})
	r.mu.Unlock()

	r.chans.want(r.channel, true)
	d := &broker.Dispatcher{Handler: h, Log: r.log}
	r.log.Info("Starting Redis pub/sub", "channel", r.channel)
	// Default pacing; the health of the shared client is reported by its
	// owner (redisconn.Monitor), not here.
	link := backoff.NewLink(backoff.Policy{Log: r.log, What: "Redis"})
	link.Keep(ctx, runCtx, "Redis pub/sub", r.done, func(ready func()) error {
		return r.connection(runCtx, d, link, ready)
	})
	return nil
}

// connection subscribes on a new dedicated connection and keeps its
// subscriptions in line with the wanted set until it breaks.
func (r *Redis) connection(ctx context.Context, d *broker.Dispatcher, link *backoff.Link, ready func()) error {
	dc, release := r.client.Dedicate()
	defer func() {
		// Close rather than release: a connection in subscriber mode must
		// not go back to the pool.
		dc.Close()
		release()
	}()
	r.chans.reset()
	defer r.live.Store(false)
	lost := dc.SetPubSubHooks(rueidis.PubSubHooks{
		OnMessage: func(m rueidis.PubSubMessage) {
			// rueidis calls this on one goroutine, in arrival order.
			_ = d.DispatchString(m.Message)
		},
		OnSubscription: func(s rueidis.PubSubSubscription) {
			switch s.Kind {
			case "subscribe":
				r.chans.confirm(s.Channel, true)
				if s.Channel == r.channel {
					if link.Up() {
						r.log.Info("Reconnected to Redis pub/sub")
					} else {
						r.log.Info("Subscribed to Redis pub/sub", "channel", s.Channel)
					}
					ready()
				}
			case "unsubscribe":
				r.chans.confirm(s.Channel, false)
			}
		},
	})
	for {
		if err := r.send(ctx, dc); err != nil {
			return err
		}
		r.live.Store(true)
		select {
		case err, ok := <-lost:
			if !ok || err == nil {
				err = errors.New("connection closed")
			}
			return err
		case <-r.kick:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// send issues the pending SUBSCRIBE and UNSUBSCRIBE commands in batches.
func (r *Redis) send(ctx context.Context, dc rueidis.DedicatedClient) error {
	for r.chans.hasPending() {
		sub, unsub := r.chans.take(redisBatch)
		cctx, cancel := context.WithTimeout(ctx, redisCmdTimout)
		var err error
		if len(sub) > 0 {
			err = dc.Do(cctx, dc.B().Subscribe().Channel(sub...).Build()).Error()
		}
		if err == nil && len(unsub) > 0 {
			err = dc.Do(cctx, dc.B().Unsubscribe().Channel(unsub...).Build()).Error()
		}
		cancel()
		if err != nil {
			// The connection is broken or unusable: start a new one,
			// which sends every wanted channel again.
			return fmt.Errorf("update subscriptions: %w", err)
		}
	}
	return nil
}

// Shutdown unsubscribes and closes the subscription connection. The client
// stays open (its owner closes it).
func (r *Redis) Shutdown(ctx context.Context) error {
	r.mu.Lock()
	cancel, done := r.cancel, r.done
	r.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	return backoff.Stopped(ctx, done, "redis pub/sub")
}

// Subscribe starts receiving stream's publications; the SUBSCRIBE goes out
// in the background.
func (r *Redis) Subscribe(stream string) {
	if r.chans.want(stream, true) {
		r.wake()
	}
}

// Unsubscribe stops receiving stream's publications.
func (r *Redis) Unsubscribe(stream string) {
	if stream == r.channel {
		return // the internal channel stays
	}
	if r.chans.want(stream, false) {
		r.wake()
	}
}

func (r *Redis) wake() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Broadcast publishes p on its stream's channel.
func (r *Redis) Broadcast(ctx context.Context, p *broker.Publication) error {
	buf := getBuf()
	*buf = AppendPublication(*buf, p)
	err := r.publish(ctx, p.Stream, string(*buf))
	putBuf(buf)
	return err
}

// BroadcastCommand publishes c on the internal channel.
func (r *Redis) BroadcastCommand(ctx context.Context, c *broker.RemoteCommand) error {
	buf := getBuf()
	*buf = AppendCommand(*buf, c)
	err := r.publish(ctx, r.channel, string(*buf))
	putBuf(buf)
	return err
}

// errNotSubscribed refuses a publication while this node's subscription is
// down: Redis would accept it and deliver it to nobody here (PUBLISH keeps
// nothing), after the publisher was told it was accepted.
var errNotSubscribed = errors.New("redis pub/sub: not subscribed (Redis connection lost, reconnecting)")

func (r *Redis) publish(ctx context.Context, channel, msg string) error {
	if !r.live.Load() {
		return errNotSubscribed
	}
	err := r.client.Do(ctx, r.client.B().Publish().Channel(channel).Message(msg).Build()).Error()
	if err != nil && !isRedisReply(err) && ctx.Err() == nil {
		// rueidis does not retry writes; the first command on a connection
		// that broke while idle (Redis restarted) fails, and the client
		// dials again for the next one. One retry hides that; a duplicate
		// is possible only if the lost reply's PUBLISH did go through.
		err = r.client.Do(ctx, r.client.B().Publish().Channel(channel).Message(msg).Build()).Error()
	}
	if err != nil {
		return fmt.Errorf("redis pub/sub: publish to %q: %w", channel, err)
	}
	return nil
}

// isRedisReply tells an error answered by Redis from a connection failure.
func isRedisReply(err error) bool {
	_, ok := rueidis.IsRedisErr(err)
	return ok
}

// subscribed reports whether the server confirmed the stream's channel on
// the current connection (tests).
func (r *Redis) subscribed(stream string) bool { return r.live.Load() && r.chans.isConfirmed(stream) }
