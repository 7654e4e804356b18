package sessions

import (
	"context"
	"log/slog"
	"time"

	"github.com/densecable/densecable/broker"
)

// HandleBroadcast implements broker.Handler for single-node broadcasters
// (http, redisx, the REST API): the broker stores the publication (offsets,
// history), then the inter-node pub/sub delivers it to every node with
// subscribers, this one included.
func (n *Node) HandleBroadcast(p *broker.Publication) {
	if err := n.TryBroadcast(p); err != nil {
		n.broadcastFailLog.log(n.log, slog.LevelError, "failed to broadcast", "stream", p.Stream, "error", err)
	}
}

// TryBroadcast is HandleBroadcast with the broker's error returned (the HTTP
// endpoint answers 501 with it).
func (n *Node) TryBroadcast(p *broker.Publication) error {
	ctx := context.Background()
	if n.broker != nil && !p.Meta.Transient {
		if err := n.broker.Store(ctx, p); err != nil {
			// One retry: the first command on a connection the broker's
			// server dropped (a restart) fails while the client reconnects.
			time.Sleep(50 * time.Millisecond)
			if err2 := n.broker.Store(ctx, p); err2 != nil {
				return err2
			}
		}
	}
	if n.pubsub != nil {
		return n.pubsub.Broadcast(ctx, p)
	}
	n.hub.Broadcast(p)
	return nil
}

// Broadcast implements Broadcaster for whispers and presence events: they
// are transient, so they skip the broker but still reach every node.
func (n *Node) Broadcast(p *broker.Publication) {
	if err := n.TryBroadcast(p); err != nil {
		n.broadcastFailLog.log(n.log, slog.LevelError, "failed to broadcast", "stream", p.Stream, "error", err)
	}
}

// HandleCommand implements broker.Handler: a remote command reaches every
// node through the pub/sub when there is one.
func (n *Node) HandleCommand(c *broker.RemoteCommand) {
	if n.pubsub != nil {
		if err := n.pubsub.BroadcastCommand(context.Background(), c); err != nil {
			n.broadcastFailLog.log(n.log, slog.LevelError, "failed to broadcast remote command", "error", err)
		}
		return
	}
	n.ExecuteCommand(c)
}

// Local is the handler for what must only be delivered on this node: the
// pub/sub's deliveries and fan-out broadcasters (redis, nats) whose
// messages every node receives anyway.
func (n *Node) Local() broker.Handler { return localHandler{n} }

type localHandler struct{ n *Node }

func (h localHandler) HandleBroadcast(p *broker.Publication) { h.n.hub.Broadcast(p) }
func (h localHandler) HandleCommand(c *broker.RemoteCommand) { h.n.ExecuteCommand(c) }
