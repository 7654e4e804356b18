package fanout

import (
	"context"
	"log/slog"
	"time"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/internal/loggate"
)

// Publisher is the one path a publication takes, whoever publishes it (the
// broadcasters: http, redis, redisx, nats, the REST API; the sessions, for
// whispers and presence events):
//
//	publisher → broker (epoch, offset, history) → pub/sub (every node with
//	subscribers, this one included) → hub of each node → subscribers
//
// Without a broker the first step is skipped, without a pub/sub (a single
// node) the publication goes straight to the hub. Remote commands take the
// same road: the pub/sub, then each node's sessions.
//
// Publisher implements broker.Handler and broker.FallibleHandler for the
// broadcasters; Local is the handler for what every node receives anyway.
type Publisher struct {
	hub    *Hub
	broker broker.Broker
	pubsub broker.PubSub
	exec   func(*broker.RemoteCommand)
	log    *slog.Logger
	// A broker or pub/sub outage fails every publication: one line a second.
	failLog loggate.Gate
}

// PublisherDeps are a Publisher's collaborators.
type PublisherDeps struct {
	Hub    *Hub
	Broker broker.Broker // nil: no history (publications get no offset)
	PubSub broker.PubSub // nil: single node, straight to the hub
	// Commands executes a remote command on this node's sessions.
	Commands func(*broker.RemoteCommand)
}

var (
	_ broker.FallibleHandler = (*Publisher)(nil)
	_ broker.Handler         = localHandler{}
)

// NewPublisher returns the publication path over deps.
func NewPublisher(deps PublisherDeps, log *slog.Logger) *Publisher {
	return &Publisher{hub: deps.Hub, broker: deps.Broker, pubsub: deps.PubSub, exec: deps.Commands, log: log}
}

// storeRetryDelay is the pause before the one retry of a failed Store.
const storeRetryDelay = 50 * time.Millisecond

// TryBroadcast publishes p and returns the broker's or pub/sub's error (the
// HTTP endpoint answers 501 with it, redisx leaves the entry pending).
// Transient publications (whispers, presence events) skip the broker.
func (p *Publisher) TryBroadcast(pub *broker.Publication) error {
	ctx := context.Background()
	if p.broker != nil && !pub.Meta.Transient {
		if err := p.broker.Store(ctx, pub); err != nil {
			// One retry: the first command on a connection the broker's
			// server dropped (a restart) fails while the client reconnects.
			time.Sleep(storeRetryDelay)
			if err2 := p.broker.Store(ctx, pub); err2 != nil {
				return err2
			}
		}
	}
	if p.pubsub != nil {
		return p.pubsub.Broadcast(ctx, pub)
	}
	p.hub.Broadcast(pub)
	return nil
}

// HandleBroadcast is TryBroadcast for callers that cannot hand the error
// back: it is logged (at most once a second).
func (p *Publisher) HandleBroadcast(pub *broker.Publication) {
	if err := p.TryBroadcast(pub); err != nil {
		p.failLog.Log(p.log, slog.LevelError, "failed to broadcast", "stream", pub.Stream, "error", err)
	}
}

// HandleCommand sends a remote command to every node through the pub/sub,
// or executes it here on a single node.
func (p *Publisher) HandleCommand(c *broker.RemoteCommand) {
	if p.pubsub != nil {
		if err := p.pubsub.BroadcastCommand(context.Background(), c); err != nil {
			p.failLog.Log(p.log, slog.LevelError, "failed to broadcast remote command", "error", err)
		}
		return
	}
	p.execute(c)
}

func (p *Publisher) execute(c *broker.RemoteCommand) {
	if p.exec != nil {
		p.exec(c)
	}
}

// Local is the handler for what must only be delivered on this node: the
// pub/sub's deliveries and fan-out broadcasters (redis, nats) whose
// messages every node receives anyway.
func (p *Publisher) Local() broker.Handler { return localHandler{p} }

type localHandler struct{ p *Publisher }

func (h localHandler) HandleBroadcast(pub *broker.Publication) { h.p.hub.Broadcast(pub) }
func (h localHandler) HandleCommand(c *broker.RemoteCommand)   { h.p.execute(c) }
