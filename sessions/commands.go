package sessions

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/encoders"
	"github.com/densecable/densecable/rpcclient/rpcpb"
	"github.com/densecable/densecable/sessions/protocol"
)

// handleCommand runs one client command on the session's worker.
func (n *Node) handleCommand(s *Session, m *encoders.Message) {
	if d := s.wire.driver; d != nil {
		d.Handle(s.pstate, m, (*driven)(s))
		return
	}
	if !s.connected {
		// Authentication failed or is not done: nothing to act for.
		n.stats.FailedClientMessages.Add(1)
		return
	}
	switch m.Command {
	case "subscribe":
		n.subscribe(s, m)
	case "unsubscribe":
		n.unsubscribe(s, m)
	case "message":
		n.perform(s, m)
	case "whisper":
		n.whisper(s, m)
	case "ping":
		s.sendReply(pongReply)
	case "pong":
		// Activity is all a pong means.
	case "history":
		n.history(s, m)
	case "join":
		n.join(s, m.Identifier, m.Presence)
	case "leave":
		n.leave(s, m.Identifier)
	case "presence":
		n.presenceInfo(s, m.Identifier)
	default:
		n.stats.FailedClientMessages.Add(1)
		n.log.Debug("unknown command", "sid", s.sid, "command", m.Command)
	}
}

func (n *Node) subscribe(s *Session, m *encoders.Message) {
	if s.channels.get(m.Identifier) != nil {
		n.stats.FailedClientMessages.Add(1)
		n.log.Debug("already subscribed", "sid", s.sid, "identifier", m.Identifier)
		return
	}
	var res *rpcpb.CommandResponse
	if a, ok := s.wire.proto.(protocol.SubscribeAuthorizer); ok {
		res = a.AuthorizeSubscribe(s.sid, s.identifiers, m.Identifier, m)
	}
	if res == nil && n.router != nil {
		// A listen-only client keeps presence state only to join with
		// this very command.
		res = n.router.Subscribe(s.sid, s.identifiers, m.Identifier, !s.wire.policy.ListenOnly || m.Presence != nil)
	}
	local := res != nil
	if res == nil {
		if n.rpc == nil {
			res = &rpcpb.CommandResponse{Status: rpcpb.Status_FAILURE, Transmissions: []string{s.wire.proto.RejectSubscription(m.Identifier)}}
		} else {
			var err error
			res, err = n.rpc.Command(context.Background(), s.sid, &rpcpb.CommandMessage{
				Command:               "subscribe",
				Identifier:            m.Identifier,
				ConnectionIdentifiers: s.identifiers,
				Env:                   s.env(nil),
			})
			if err != nil {
				n.commandFailLog.Log(n.log, slog.LevelError, "RPC Command failed", "sid", s.sid, "command", "subscribe", "identifier", m.Identifier, "error", err)
				return
			}
		}
	} else if res.GetStatus() == rpcpb.Status_SUCCESS && s.interest == 0 {
		// Local channels need no Disconnect call; keep an RPC session's interest.
		s.interest = -1
	}
	switch res.GetStatus() {
	case rpcpb.Status_SUCCESS:
		ch := newChannel(m.Identifier)
		ch.local = local
		s.channels.add(ch)
		// A joiner that hears nothing of its own join (Pusher) joins
		// before its confirmation goes out: a client that has its
		// subscription_succeeded is in every member list read after, on
		// any node. Others join after it, as anycable-go: the joiner's own
		// join event follows its confirm_subscription.
		joinFirst := m.Presence != nil && s.wire.policy.PresenceOthersOnly
		n.applyState(s, m.Identifier, res)
		if joinFirst {
			n.join(s, m.Identifier, m.Presence)
		}
		n.applyOutput(s, m.Identifier, res, ch)
		if m.Presence != nil && !joinFirst {
			n.join(s, m.Identifier, m.Presence)
		}
		n.commitSession(s)
		if m.History != nil {
			n.history(s, m)
		}
	case rpcpb.Status_FAILURE:
		n.applyReply(s, m.Identifier, res)
	default:
		n.commandFailLog.Log(n.log, slog.LevelError, "RPC Command failed", "sid", s.sid, "command", "subscribe", "error", "Application error: "+res.GetErrorMsg())
	}
}

func (n *Node) unsubscribe(s *Session, m *encoders.Message) {
	ch := s.channels.get(m.Identifier)
	if ch == nil {
		n.stats.FailedClientMessages.Add(1)
		n.log.Debug("unknown subscription", "sid", s.sid, "identifier", m.Identifier)
		return
	}
	res := &rpcpb.CommandResponse{Status: rpcpb.Status_SUCCESS}
	if n.rpc != nil && !ch.local {
		var err error
		res, err = n.rpc.Command(context.Background(), s.sid, &rpcpb.CommandMessage{
			Command:               "unsubscribe",
			Identifier:            m.Identifier,
			ConnectionIdentifiers: s.identifiers,
			Env:                   s.env(ch.istate.asMap()),
		})
		if err != nil || res.GetStatus() == rpcpb.Status_ERROR {
			n.commandFailLog.Log(n.log, slog.LevelError, "RPC Command failed", "sid", s.sid, "command", "unsubscribe", "error", errText(err, res))
			return
		}
	}
	n.presenceRemove(s, ch)
	for _, st := range ch.streams {
		n.hub.Unsubscribe(s, st, m.Identifier)
	}
	s.channels.remove(m.Identifier)
	res.StopStreams = false
	res.Streams = nil
	res.StoppedStreams = nil
	if e := res.GetEnv(); e != nil {
		e.Istate = nil
	}
	n.applyReply(s, m.Identifier, res)
	n.commitSession(s)
}

// perform calls a channel action; it returns the application's reply, nil
// when there was none to apply.
func (n *Node) perform(s *Session, m *encoders.Message) *rpcpb.CommandResponse {
	ch := s.channels.get(m.Identifier)
	if ch == nil {
		n.stats.FailedClientMessages.Add(1)
		n.log.Debug("unknown subscription", "sid", s.sid, "identifier", m.Identifier)
		return nil
	}
	if !m.DataIsString {
		n.stats.FailedClientMessages.Add(1)
		n.log.Debug("perform data must be a string", "sid", s.sid, "identifier", m.Identifier)
		return nil
	}
	if n.rpc == nil {
		n.log.Debug("perform is not supported without RPC", "sid", s.sid)
		return nil
	}
	res, err := n.rpc.Command(context.Background(), s.sid, &rpcpb.CommandMessage{
		Command:               "message",
		Identifier:            m.Identifier,
		ConnectionIdentifiers: s.identifiers,
		Data:                  m.Data,
		Env:                   s.env(ch.istate.asMap()),
	})
	if err != nil || res.GetStatus() == rpcpb.Status_ERROR {
		n.commandFailLog.Log(n.log, slog.LevelError, "RPC Command failed", "sid", s.sid, "command", "message", "error", errText(err, res))
		return nil
	}
	if s.channels.get(m.Identifier) == nil {
		return nil
	}
	n.applyReply(s, m.Identifier, res)
	if changesState(res) {
		n.commitSession(s)
	}
	return res
}

// applyReply applies a command response: streams first (so nothing
// broadcast after a confirmation is missed), then state, then
// transmissions, then a requested disconnect.
func (n *Node) applyReply(s *Session, identifier string, res *rpcpb.CommandResponse) {
	n.applyOutput(s, identifier, res, n.applyState(s, identifier, res))
}

// applyState is applyReply's first half: the channel's streams and state
// (ch is the channel, nil when the session has none by that identifier).
func (n *Node) applyState(s *Session, identifier string, res *rpcpb.CommandResponse) (ch *channel) {
	ch = s.channels.get(identifier)
	if ch != nil {
		if res.GetStopStreams() {
			for _, st := range ch.streams {
				n.hub.Unsubscribe(s, st, identifier)
			}
			ch.streams = nil
		}
		for _, st := range res.GetStoppedStreams() {
			if removeString(&ch.streams, st) {
				n.hub.Unsubscribe(s, st, identifier)
			}
		}
		for _, st := range res.GetStreams() {
			if !containsString(ch.streams, st) {
				ch.streams = append(ch.streams, n.hub.Subscribe(s, st, identifier))
			}
		}
		if e := res.GetEnv(); e != nil {
			ch.istate = ch.istate.merge(e.GetIstate())
		}
	}
	if e := res.GetEnv(); e != nil {
		s.cstate = mergeState(s.cstate, e.GetCstate())
	}
	return ch
}

// applyOutput is applyReply's second half: transmissions, presence, a
// requested disconnect.
func (n *Node) applyOutput(s *Session, identifier string, res *rpcpb.CommandResponse, ch *channel) {
	ends := false
	for _, t := range res.GetTransmissions() {
		ends = s.sendTransmission(identifier, t) || ends
	}
	n.applyRPCPresence(s, identifier, res.GetPresence())
	if res.GetDisconnect() {
		s.close(protocol.CloseCommandFailed)
		return
	}
	if ends && ch != nil && s.channels.get(identifier) == ch {
		// The protocol says the application is done with it (GraphQL's
		// more:false): unsubscribe as the client would.
		n.unsubscribe(s, &encoders.Message{Command: "unsubscribe", Identifier: identifier})
	}
}

// whisper broadcasts client data to the channel's whisper stream ($w) for
// every other subscriber.
func (n *Node) whisper(s *Session, m *encoders.Message) {
	ch := s.channels.get(m.Identifier)
	if ch == nil {
		n.stats.FailedClientMessages.Add(1)
		return
	}
	stream := ch.istate.get("$w")
	var data []byte
	if w := s.wire.whisperer; w != nil {
		var reply []byte
		data, reply = w.Whisper(s.sid, m.Identifier, stream, ch.istate.asMap(), m)
		if len(reply) > 0 {
			s.sendPayload(reply)
		}
	}
	if stream == "" {
		n.log.Debug("whisper stream not found", "sid", s.sid, "identifier", m.Identifier)
		return
	}
	if s.wire.whisperer == nil {
		data = m.RawData
		if m.DataIsString {
			data, _ = json.Marshal(m.Data)
		}
	}
	if data == nil {
		return
	}
	n.pub.HandleBroadcast(&broker.Publication{
		Stream: stream,
		Data:   string(data),
		Meta:   broker.Meta{ExcludeSocket: s.sid, Transient: true},
	})
}

func errText(err error, res *rpcpb.CommandResponse) string {
	if err != nil {
		return err.Error()
	}
	return "Application error: " + res.GetErrorMsg()
}

func containsString(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func removeString(list *[]string, v string) bool {
	for i, x := range *list {
		if x == v {
			*list = append((*list)[:i], (*list)[i+1:]...)
			return true
		}
	}
	return false
}

// changesState reports whether a command reply changed what the session
// cache holds (streams or states).
func changesState(res *rpcpb.CommandResponse) bool {
	e := res.GetEnv()
	return res.GetStopStreams() || len(res.GetStreams()) > 0 || len(res.GetStoppedStreams()) > 0 ||
		(e != nil && (len(e.GetCstate()) > 0 || len(e.GetIstate()) > 0))
}

// pongReply is every pong: encoders only read a Reply, so one is shared
// (an SSE stream's start pings itself; no reply per stream).
var pongReply = &encoders.Reply{Type: "pong"}
