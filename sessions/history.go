package sessions

import (
	"context"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/encoders"
)

// history answers a history request for one subscription: every matching
// publication of each of its streams, in stream order, as ordinary broadcast
// frames, then confirm_history. Any stream that cannot be served turns the
// whole answer into reject_history alone.
func (n *Node) history(s *Session, m *encoders.Message) {
	ch := s.channels.get(m.Identifier)
	if ch == nil || m.History == nil || (m.History.Since == 0 && len(m.History.Streams) == 0) {
		n.stats.FailedClientMessages.Add(1)
		n.log.Debug("invalid history request", "sid", s.sid, "identifier", m.Identifier)
		return
	}
	if n.broker == nil {
		s.sendReply(&encoders.Reply{Type: "reject_history", Identifier: m.Identifier})
		return
	}
	ctx := context.Background()
	var all []broker.Publication
	for _, stream := range ch.streams {
		var (
			pubs []broker.Publication
			err  error
		)
		if pos, ok := m.History.Streams[stream]; ok {
			pubs, err = n.broker.HistoryFrom(ctx, stream, pos.Epoch, pos.Offset)
		} else if m.History.Since > 0 {
			pubs, err = n.broker.HistorySince(ctx, stream, m.History.Since)
		}
		if err != nil {
			n.log.Debug("history request failed", "sid", s.sid, "stream", stream, "error", err)
			s.sendReply(&encoders.Reply{Type: "reject_history", Identifier: m.Identifier})
			return
		}
		all = append(all, pubs...)
	}
	for i := range all {
		p := &all[i]
		s.sendReply(&encoders.Reply{
			Type:       p.Meta.BroadcastType,
			Identifier: m.Identifier,
			Message:    encoders.BroadcastPayload(p.Data),
			StreamID:   p.Stream,
			Epoch:      p.Epoch,
			Offset:     p.Offset,
		})
	}
	s.sendReply(&encoders.Reply{Type: "confirm_history", Identifier: m.Identifier})
}
