package pubsub

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/broker/internal/backoff"
)

// natsQueue is how many received messages may wait for the handler before
// NATS counts this node as a slow consumer and drops (and logs) the excess.
const natsQueue = 64 << 10

// flushTimeout bounds the wait for the server to confirm the subscriptions
// at start, and a publication (see publish).
const flushTimeout = 5 * time.Second

// NATS is the pub/sub on NATS subjects: one subscription per stream with
// local subscribers (see Subject for the naming), plus the internal subject
// for commands. Every subscription feeds one channel drained by one
// goroutine, so a node with many streams costs no goroutine per stream and
// messages are handled in the order the server sent them.
//
// Reconnection and resubscription after a NATS restart are nats.go's: the
// connection must be made to reconnect forever (natsconn.Connect does).
type NATS struct {
	nc      *nats.Conn
	channel string
	log     *slog.Logger

	mu       sync.Mutex
	subs     map[string]*nats.Subscription // wanted streams; nil until subscribed
	internal *nats.Subscription
	msgs     chan *nats.Msg
	stop     chan struct{}
	done     chan struct{}
}

var _ broker.PubSub = (*NATS)(nil)

// NewNATS returns a pub/sub on conn, which it shares and does not close.
// channel is the internal subject for remote commands (DefaultChannel when
// empty).
func NewNATS(conn *nats.Conn, channel string, logger *slog.Logger) *NATS {
	return &NATS{
		nc:      conn,
		channel: cmp.Or(channel, DefaultChannel),
		log:     broker.Logger(logger, "context", "pubsub", "provider", "nats"),
		subs:    make(map[string]*nats.Subscription),
	}
}

// Start subscribes to the internal subject (and to streams asked for
// before) and starts delivering to h. It returns once the server confirmed
// the subscriptions, at once when NATS is unreachable (nats.go subscribes
// when it connects), or when ctx is done; errors are about the
// configuration.
func (n *NATS) Start(ctx context.Context, h broker.Handler) error {
	n.mu.Lock()
	if n.internal != nil {
		n.mu.Unlock()
		return errors.New("nats pub/sub: already started")
	}
	msgs := make(chan *nats.Msg, natsQueue)
	internal, err := n.nc.ChanSubscribe(n.channel, msgs)
	if err != nil {
		n.mu.Unlock()
		return fmt.Errorf("nats pub/sub: subscribe to %q: %w", n.channel, err)
	}
	n.internal, n.msgs = internal, msgs
	n.stop, n.done = make(chan struct{}), make(chan struct{})
	for stream, sub := range n.subs {
		if sub == nil {
			n.subscribeLocked(stream)
		}
	}
	d := &broker.Dispatcher{Handler: h, Log: n.log}
	go deliver(d, msgs, n.stop, n.done)
	n.mu.Unlock()

	n.log.Info("Starting NATS pub/sub", "servers", n.nc.Servers(), "channel", n.channel)
	if !n.nc.IsConnected() {
		n.log.Warn("NATS is unavailable, subscribing once connected")
		return nil
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, flushTimeout)
		defer cancel()
	}
	if err := n.nc.FlushWithContext(ctx); err != nil {
		n.log.Warn("NATS did not confirm the pub/sub subscription yet", "error", err)
	}
	return nil
}

func deliver(d *broker.Dispatcher, msgs <-chan *nats.Msg, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	for {
		select {
		case m := <-msgs:
			_ = d.Dispatch(m.Data) // Dispatch logs malformed messages
		case <-stop:
			return
		}
	}
}

// Shutdown drops every subscription and stops delivering. The connection
// stays open (its owner closes it).
func (n *NATS) Shutdown(ctx context.Context) error {
	n.mu.Lock()
	if n.internal == nil {
		n.mu.Unlock()
		return nil
	}
	_ = n.internal.Unsubscribe()
	n.internal = nil
	for stream, sub := range n.subs {
		if sub != nil {
			_ = sub.Unsubscribe()
		}
		delete(n.subs, stream)
	}
	stop, done := n.stop, n.done
	n.mu.Unlock()
	close(stop)
	return backoff.Stopped(ctx, done, "nats pub/sub")
}

// Subscribe starts receiving stream's publications. nats.go only queues the
// request, so this does not wait for the network.
func (n *NATS) Subscribe(stream string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if sub, ok := n.subs[stream]; ok && sub != nil {
		return
	}
	n.subs[stream] = nil
	if n.internal != nil {
		n.subscribeLocked(stream)
	}
}

func (n *NATS) subscribeLocked(stream string) {
	subject := Subject(stream)
	if subject == n.channel {
		// The internal subscription gets these already; a second one
		// would run every remote command twice.
		return
	}
	sub, err := n.nc.ChanSubscribe(subject, n.msgs)
	if err != nil {
		// Only a closed connection fails here; nothing to retry on.
		n.log.Error("failed to subscribe to stream", "stream", stream, "error", err)
		return
	}
	n.subs[stream] = sub
}

// Unsubscribe stops receiving stream's publications.
func (n *NATS) Unsubscribe(stream string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	sub, ok := n.subs[stream]
	if !ok {
		return
	}
	delete(n.subs, stream)
	if sub != nil {
		if err := sub.Unsubscribe(); err != nil {
			n.log.Debug("failed to unsubscribe from stream", "stream", stream, "error", err)
		}
	}
}

// Broadcast publishes p on its stream's subject. While NATS is away the
// client buffers it and sends it on reconnection.
func (n *NATS) Broadcast(ctx context.Context, p *broker.Publication) error {
	buf := getBuf()
	*buf = AppendPublication(*buf, p)
	err := n.publish(ctx, Subject(p.Stream), *buf)
	putBuf(buf)
	if err != nil {
		return fmt.Errorf("nats pub/sub: publish to %q: %w", p.Stream, err)
	}
	return nil
}

// BroadcastCommand publishes c on the internal subject.
func (n *NATS) BroadcastCommand(ctx context.Context, c *broker.RemoteCommand) error {
	buf := getBuf()
	*buf = AppendCommand(*buf, c)
	err := n.publish(ctx, n.channel, *buf)
	putBuf(buf)
	if err != nil {
		return fmt.Errorf("nats pub/sub: publish command: %w", err)
	}
	return nil
}

// publish returns once the server has the message (a flush round trip, as
// Redis's PUBLISH reply): while the connection is down nats.go would buffer
// the message and report success, and a message written just before the
// connection broke would be gone, both after the publisher (the HTTP
// endpoint) was told it was accepted. The publisher gets the error instead.
func (n *NATS) publish(ctx context.Context, subject string, data []byte) error {
	if !n.nc.IsConnected() {
		return nats.ErrConnectionReconnecting
	}
	if err := n.nc.Publish(subject, data); err != nil {
		return err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, flushTimeout)
		defer cancel()
	}
	return n.nc.FlushWithContext(ctx)
}

// subscribed reports whether the server has the stream's subscription
// (tests): the flush makes sure it processed the SUB.
func (n *NATS) subscribed(stream string) bool {
	n.mu.Lock()
	ok := n.subs[stream] != nil
	n.mu.Unlock()
	return ok && n.nc.FlushTimeout(time.Second) == nil
}
