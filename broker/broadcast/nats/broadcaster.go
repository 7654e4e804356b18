// Package natsbroadcast is the `nats` broadcast adapter: publications
// published to a NATS subject reach every node (fan-out, no broker).
package natsbroadcast

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/densecable/densecable/broker"
	natsconn "github.com/densecable/densecable/broker/conn/nats"
)

// DefaultChannel is nats_channel's default.
const DefaultChannel = "__anycable__"

// Options configure the broadcaster.
type Options struct {
	NATS natsconn.NATSOptions
	// Channel is the subject to subscribe to (nats_channel).
	Channel string
}

// flushTimeout bounds the wait for the server to confirm the subscription.
const flushTimeout = 5 * time.Second

// Broadcaster subscribes to the subject and dispatches every message.
type Broadcaster struct {
	opts  Options
	stats *broker.Stats
	log   *slog.Logger

	nc     *nats.Conn
	closed <-chan nats.Status
	health broker.Health
}

// Healthy is false while NATS has been unreachable for
// NATS.MaxReconnectAttempts reconnect rounds in a row.
func (b *Broadcaster) Healthy() bool { return b.health.Healthy() }

var _ broker.Broadcaster = (*Broadcaster)(nil)

// New returns a broadcaster; nothing connects before Start.
func New(opts Options, stats *broker.Stats, logger *slog.Logger) *Broadcaster {
	opts.Channel = cmp.Or(opts.Channel, DefaultChannel)
	log := broker.Logger(logger, "context", "broadcast", "provider", "nats")
	return &Broadcaster{opts: opts, stats: stats, log: log}
}

// IsFanout is true: every node subscribes and gets every message.
func (*Broadcaster) IsFanout() bool { return true }

// Start connects and subscribes. It returns once the server confirmed the
// subscription, or at once when no server is reachable yet (the client
// subscribes when it connects), or when ctx is done. Errors are about the
// configuration (a bad URL or subject).
func (b *Broadcaster) Start(ctx context.Context, h broker.Handler) error {
	nopts := b.opts.NATS
	nopts.Health = &b.health
	nc, err := natsconn.Connect(nopts, "densecable broadcaster", b.log)
	if err != nil {
		return fmt.Errorf("nats broadcaster: %w", err)
	}
	d := &broker.Dispatcher{Handler: h, Stats: b.stats, Log: b.log, Fanout: true}
	// nats.go delivers a subscription's messages on one goroutine, in order.
	if _, err := nc.Subscribe(b.opts.Channel, func(m *nats.Msg) { _ = d.Dispatch(m.Data) }); err != nil {
		nc.Close()
		return fmt.Errorf("nats broadcaster: subscribe to %q: %w", b.opts.Channel, err)
	}
	b.nc = nc
	b.closed = nc.StatusChanged(nats.CLOSED)
	b.log.Info("Subscribing to NATS subject", "subject", b.opts.Channel, "servers", b.opts.NATS.Servers)

	if !nc.IsConnected() {
		b.log.Warn("NATS is unavailable, retrying in the background")
		return nil
	}
	fctx, cancel := context.WithTimeout(ctx, flushTimeout)
	defer cancel()
	if err := nc.FlushWithContext(fctx); err != nil {
		b.log.Warn("NATS did not confirm the subscription yet", "error", err)
	}
	return nil
}

// Shutdown drains the subscription (messages already received are handled)
// and closes the connection.
func (b *Broadcaster) Shutdown(ctx context.Context) error {
	if b.nc == nil {
		return nil
	}
	if b.nc.IsClosed() {
		return nil
	}
	if err := b.nc.Drain(); err != nil {
		// Not connected (reconnecting): nothing to drain.
		b.nc.Close()
		return nil
	}
	select {
	case <-b.closed:
		return nil
	case <-ctx.Done():
		b.nc.Close()
		return fmt.Errorf("nats broadcaster shutdown: %w", ctx.Err())
	}
}
