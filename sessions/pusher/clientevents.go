package pusher

import (
	"time"

	"github.com/densecable/densecable/sessions/protocol"
)

// bucket is a connection's client event allowance (a token bucket of
// ClientEventRate tokens a second, holding at most one second's worth).
// Only the connection's poller goroutine touches it.
type bucket struct {
	tokens float64
	last   int64 // Unix ns of the last refill
}

// NewState gives each connection its bucket (nothing without a limit).
func (p *Protocol) NewState() any {
	if p.opts.ClientEventRate <= 0 {
		return nil
	}
	return &bucket{tokens: float64(p.opts.ClientEventRate), last: time.Now().UnixNano()}
}

// Allow refuses a client event past the connection's rate; the core then
// closes it with pusher:error 4301 (Pusher's "client event rejected due
// to rate limit").
func (p *Protocol) Allow(state any, m *protocol.Command) bool {
	b, ok := state.(*bucket)
	if !ok || m.Command != "whisper" {
		return true
	}
	rate := float64(p.opts.ClientEventRate)
	now := time.Now().UnixNano()
	b.tokens = min(rate, b.tokens+float64(now-b.last)*rate/float64(time.Second))
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// Whisper turns a client event into the publication its channel's other
// subscribers get: {"event":E,"data":D} (with "user_id" on presence
// channels, as Pusher adds it). Public channels take no client events:
// the sender gets a pusher:error.
func (p *Protocol) Whisper(sid, channel, stream string, state map[string]string, m *protocol.Command) (data, reply []byte) {
	if stream == "" {
		return nil, appendError(nil, 0, "Client events are only supported on private and presence channels")
	}
	userID := state[stateUserID]
	data = append(append(data, `{"event":`...), quote(m.Data)...)
	data = append(append(data, `,"data":`...), m.RawData...)
	if userID != "" {
		data = append(append(data, `,"user_id":`...), quote(userID)...)
	}
	data = append(data, '}')
	if p.opts.OnClientEvent != nil {
		p.opts.OnClientEvent(channel, m.Data, m.RawData, sid, userID)
	}
	return data, nil
}
