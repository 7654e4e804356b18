package sessions

import (
	"context"
	"encoding/json"
	"time"

	"github.com/densecable/densecable/frames"
)

// snapshot is what the session cache keeps, in the reference's layout.
type snapshot struct {
	IDs            string                       `json:"ids"`
	Subs           map[string][]string          `json:"subs"`
	CState         map[string]string            `json:"cstate"`
	IState         map[string]map[string]string `json:"istate"`
	Disconnectable bool                         `json:"Disconnectable"`
}

// resumable reports whether sessions of this client can be restored: the
// extended protocol, a broker and a session TTL.
func (n *Node) resumable(s *Session) bool {
	return s.wire.proto.Extended() && n.broker != nil && n.opts.SessionsTTL > 0
}

// commitSession stores the session's state for a later restore.
func (n *Node) commitSession(s *Session) {
	if !n.resumable(s) || !s.connected {
		return
	}
	snap := snapshot{IDs: s.identifiers, CState: s.cstate, Subs: map[string][]string{}, IState: map[string]map[string]string{}, Disconnectable: s.interest >= 0}
	for _, ch := range s.channels.list {
		id := ch.identifier()
		snap.Subs[id] = ch.streams
		if len(ch.istate) > 0 {
			snap.IState[id] = ch.istate.asMap()
		}
	}
	b, err := json.Marshal(&snap)
	if err != nil {
		return
	}
	if err := n.broker.CommitSession(context.Background(), s.sid, b); err != nil {
		n.log.Warn("failed to cache session", "sid", s.sid, "error", err)
	}
}

// tryRestore restores the session named by X-ANYCABLE-RESTORE-SID (which
// wins) or ?sid= without calling Connect: identifiers, states and
// subscriptions come back, and the client is told which channels it has.
func (n *Node) tryRestore(s *Session, req *frames.Request) bool {
	if !n.resumable(s) {
		return false
	}
	prev := req.Get("x-anycable-restore-sid")
	if prev == "" {
		prev = req.Query().Get("sid")
	}
	if prev == "" {
		return false
	}
	b, err := n.broker.RestoreSession(context.Background(), prev)
	if err != nil || b == nil {
		if err != nil {
			n.log.Warn("failed to restore session", "sid", s.sid, "prev_sid", prev, "error", err)
		}
		return false
	}
	var snap snapshot
	if err := json.Unmarshal(b, &snap); err != nil {
		n.log.Warn("corrupt session cache entry", "prev_sid", prev, "error", err)
		return false
	}
	s.identifiers = snap.IDs
	s.cstate = snap.CState
	if snap.Disconnectable {
		s.interest = 1
	} else {
		s.interest = -1
	}
	ids := make([]string, 0, len(snap.Subs))
	for id := range snap.Subs {
		ids = append(ids, id)
	}
	// The welcome is queued before the streams are joined, so no broadcast
	// can reach the client ahead of it; one published in between is in the
	// history the client asks for with its offsets.
	n.register(s)
	s.sendWelcome(true, ids)
	s.channels = subscriptions{}
	for id, streams := range snap.Subs {
		ch := newChannel(id)
		ch.istate = chanState(nil).merge(snap.IState[id])
		for _, st := range streams {
			ch.streams = append(ch.streams, n.hub.Subscribe(s, st, id))
		}
		s.channels.add(ch)
	}
	n.established(s) // also stores the session under its new sid
	n.log.Debug("session restored", "sid", s.sid, "prev_sid", prev)
	return true
}

// keepalive refreshes cached sessions (every sessions_ttl/2) and presence
// (every presence_ttl/2) of connected extended-protocol sessions.
func (n *Node) keepalive(stop <-chan struct{}) {
	if n.broker == nil {
		return
	}
	var sessTick, presTick <-chan time.Time
	if n.opts.SessionsTTL > 0 {
		t := time.NewTicker(time.Duration(n.opts.SessionsTTL) * time.Second / 2)
		defer t.Stop()
		sessTick = t.C
	}
	if n.opts.PresenceTTL > 0 {
		t := time.NewTicker(time.Duration(n.opts.PresenceTTL) * time.Second / 2)
		defer t.Stop()
		presTick = t.C
	}
	ctx := context.Background()
	for {
		select {
		case <-stop:
			return
		case <-sessTick:
			for _, s := range n.snapshotSessions() {
				if s.wire.proto.Extended() {
					_ = n.broker.TouchSession(ctx, s.sid)
				}
			}
		case <-presTick:
			for _, s := range n.snapshotSessions() {
				if s.presenceActive() {
					_ = n.broker.TouchPresence(ctx, s.sid)
				}
			}
		}
	}
}

func (n *Node) snapshotSessions() []*Session {
	n.mu.RLock()
	defer n.mu.RUnlock()
	out := make([]*Session, 0, len(n.sessions))
	for s := range n.sessions {
		out = append(out, s)
	}
	return out
}
