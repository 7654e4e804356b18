package sessions

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/encoders"
	"github.com/densecable/densecable/rpcclient/rpcpb"
)

// presenceStream is the channel's presence stream ($p in its state).
func presenceStream(ch *channel) string { return ch.istate.get("$p") }

// join adds the session to the channel's presence set (the extended
// protocol's join command, or presence in a subscribe).
func (n *Node) join(s *Session, identifier string, req *encoders.PresenceRequest) {
	ch := s.channels.get(identifier)
	if ch == nil {
		n.stats.FailedClientMessages.Add(1)
		return
	}
	if req == nil || req.ID == "" {
		n.stats.FailedClientMessages.Add(1)
		n.log.Debug("presence id is missing", "sid", s.sid, "identifier", identifier)
		return
	}
	n.presenceAdd(s, identifier, ch, req.ID, req.Info)
}

func (n *Node) presenceAdd(s *Session, identifier string, ch *channel, id string, info []byte) {
	stream := presenceStream(ch)
	if stream == "" || n.broker == nil {
		n.log.Debug("presence is not enabled for the channel", "sid", s.sid, "identifier", identifier)
		return
	}
	if len(info) > maxPresenceInfo {
		n.stats.FailedClientMessages.Add(1)
		n.log.Debug("presence info is too large", "sid", s.sid, "size", len(info))
		return
	}
	ev, err := n.broker.PresenceAdd(context.Background(), stream, s.sid, id, info)
	if err != nil {
		n.log.Debug("presence join failed", "sid", s.sid, "stream", stream, "error", err)
		return
	}
	s.presence.Store(true)
	if ev != nil {
		n.broadcastPresence(stream, ev, s.presenceExclude())
	}
}

// presenceExclude is the sid a session's own join or leave skips (the
// protocol's PresenceOthersOnly), "" for everyone.
func (s *Session) presenceExclude() string {
	if s.wire.policy.PresenceOthersOnly {
		return s.sid
	}
	return ""
}

// maxPresenceInfo bounds what a client may store as its presence info.
const maxPresenceInfo = 16 << 10

// leave removes the session from the channel's presence set.
func (n *Node) leave(s *Session, identifier string) {
	ch := s.channels.get(identifier)
	if ch == nil {
		n.stats.FailedClientMessages.Add(1)
		return
	}
	n.presenceRemove(s, ch)
}

func (n *Node) presenceRemove(s *Session, ch *channel) {
	stream := presenceStream(ch)
	if stream == "" || n.broker == nil {
		return
	}
	ev, err := n.broker.PresenceRemove(context.Background(), stream, s.sid)
	if err != nil {
		n.log.Debug("presence leave failed", "sid", s.sid, "stream", stream, "error", err)
		return
	}
	if ev != nil {
		n.broadcastPresence(stream, ev, s.presenceExclude())
	}
}

// broadcastPresence sends a join or leave event to the presence stream as a
// transient "presence" message, skipping session exclude ("": nobody); the
// payload's keys come out sorted.
func (n *Node) broadcastPresence(stream string, ev *broker.PresenceEvent, exclude string) {
	for _, o := range n.observers {
		if ev.Type == "join" {
			o.PresenceJoined(stream, ev.ID, ev.Info)
		} else {
			o.PresenceLeft(stream, ev.ID)
		}
	}
	msg := map[string]any{"type": ev.Type, "id": ev.ID}
	if ev.Type == "join" && len(ev.Info) > 0 {
		msg["info"] = json.RawMessage(ev.Info)
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return
	}
	n.pub.HandleBroadcast(&broker.Publication{
		Stream: stream,
		Data:   string(b),
		Meta:   broker.Meta{BroadcastType: "presence", Transient: true, ExcludeSocket: exclude},
	})
}

// ExpiredPresence is the broker's callback for presence that timed out.
func (n *Node) ExpiredPresence(stream string, events []broker.PresenceEvent) {
	for i := range events {
		n.broadcastPresence(stream, &events[i], "")
	}
}

// presenceInfo answers the presence command:
// {"type":"presence","identifier":..,"message":{"type":"info","total":N,"records":[{"info":..,"id":..}]}}.
func (n *Node) presenceInfo(s *Session, identifier string) {
	ch := s.channels.get(identifier)
	if ch == nil {
		n.stats.FailedClientMessages.Add(1)
		return
	}
	stream := presenceStream(ch)
	if stream == "" || n.broker == nil {
		return
	}
	var msg []byte
	info, err := n.broker.PresenceInfo(context.Background(), stream)
	if err != nil {
		msg = []byte(`{"type":"error","total":0}`)
	} else {
		msg = PresenceInfoJSON(info)
	}
	s.sendReply(&encoders.Reply{Type: "presence", Identifier: identifier, Message: msg})
}

// PresenceInfoJSON renders presence info in the reference's field order:
// type, total, records (left out when empty), each record info then id.
func PresenceInfoJSON(info *broker.PresenceInfo) []byte {
	b := []byte(`{"type":"info","total":`)
	b = strconv.AppendInt(b, int64(info.Total), 10)
	if len(info.Records) > 0 {
		b = append(b, `,"records":[`...)
		for i, r := range info.Records {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			if len(r.Info) > 0 && string(r.Info) != "null" {
				b = append(b, `"info":`...)
				b = append(b, encoders.BroadcastPayload(string(r.Info))...)
				b = append(b, ',')
			}
			id, _ := json.Marshal(r.ID)
			b = append(b, `"id":`...)
			b = append(b, id...)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// applyRPCPresence applies CommandResponse.presence after the rest of the
// reply: info is JSON when it parses, a string otherwise.
func (n *Node) applyRPCPresence(s *Session, identifier string, p *rpcpb.PresenceResponse) {
	if p == nil || p.GetType() == "" {
		return
	}
	ch := s.channels.get(identifier)
	if ch == nil {
		return
	}
	if presenceStream(ch) == "" {
		n.log.Debug("presence stream is not configured for the channel", "sid", s.sid, "identifier", identifier)
		return
	}
	switch p.GetType() {
	case "join":
		info := []byte(p.GetInfo())
		if !json.Valid(info) {
			info, _ = json.Marshal(p.GetInfo())
		}
		n.presenceAdd(s, identifier, ch, p.GetId(), info)
	case "leave":
		n.presenceRemove(s, ch)
	}
}
