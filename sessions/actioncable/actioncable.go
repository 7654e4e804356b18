// Package actioncable is the Action Cable protocol for the session core:
// JSON, Msgpack and Protobuf, each as v1 or the extended protocol
// (actioncable-v1-ext-*: resume, history, presence, pong timeouts). The
// codecs are in encoders/; this package says what the core's output looks
// like in Action Cable (welcome, ping, disconnect, close codes, rejections).
package actioncable

import (
	"encoding/json"

	"github.com/densecable/densecable/encoders"
	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/sessions/protocol"
)

// Subprotocols lists the WebSocket sub-protocols Action Cable is spoken
// under, in the server's preference order.
var Subprotocols = encoders.Subprotocols

// Protocol is one Action Cable flavour. Values are shared by every
// connection (see For).
type Protocol struct {
	name string
	enc  encoders.Encoder
	ext  bool
}

// flavours holds one value per sub-protocol so that For never allocates.
var flavours = func() map[string]*Protocol {
	m := make(map[string]*Protocol, len(encoders.Subprotocols)+1)
	for _, name := range encoders.Subprotocols {
		enc, ext, _ := encoders.ForSubprotocol(name)
		m[name] = &Protocol{name: name, enc: enc, ext: ext}
	}
	// No sub-protocol is v1 JSON: the same value.
	m[""] = m["actioncable-v1-json"]
	return m
}()

// For returns the protocol for a negotiated sub-protocol; "" (none) is v1
// JSON. ok is false for a name that is not Action Cable's.
func For(subprotocol string) (p *Protocol, ok bool) {
	p, ok = flavours[subprotocol]
	return p, ok
}

// New is Action Cable spoken through another codec: the same messages,
// rendered by enc (the SSE transport's events). It is v1 (not extended).
func New(name string, enc encoders.Encoder) *Protocol { return &Protocol{name: name, enc: enc} }

// Default is Action Cable v1 JSON, what a client that names no
// sub-protocol speaks.
func Default() *Protocol { return flavours[""] }

var _ protocol.Protocol = (*Protocol)(nil)

func (p *Protocol) Name() string              { return p.name }
func (p *Protocol) Encoder() encoders.Encoder { return p.enc }
func (p *Protocol) Extended() bool            { return p.ext }

func (p *Protocol) Decode(b []byte, m *protocol.Command) error { return p.enc.Decode(b, m) }

func (p *Protocol) AppendWelcome(dst []byte, sid string, restored bool, ids []string) ([]byte, error) {
	return p.enc.AppendReply(dst, &encoders.Reply{Type: "welcome", Sid: sid, Restored: restored, RestoredIDs: ids})
}

func (p *Protocol) AppendReply(dst []byte, r *protocol.Reply) ([]byte, error) {
	return p.enc.AppendReply(dst, r)
}

// AppendTransmission sends the application's transmission as it is:
// Action Cable transmissions are already wire messages (confirm_subscription
// and the like come from the application).
func (p *Protocol) AppendTransmission(dst []byte, _, msg string) ([]byte, error) {
	return p.enc.AppendTransmission(dst, msg)
}

func (p *Protocol) AppendPing(dst []byte, ts int64) ([]byte, error) { return p.enc.AppendPing(dst, ts) }

func (p *Protocol) AppendDisconnect(dst []byte, reason string, reconnect bool) ([]byte, error) {
	return p.enc.AppendDisconnect(dst, reason, reconnect)
}

// CloseFor gives anycable-go's close codes and reasons.
func (p *Protocol) CloseFor(kind protocol.CloseKind) (uint16, string) {
	switch kind {
	case protocol.CloseAuthFailed:
		return frames.CloseNormal, "Auth Failed"
	case protocol.CloseAuthError:
		return frames.CloseInternalError, "Auth Error"
	case protocol.CloseCommandFailed:
		return frames.CloseAbnormal, "Command Failed"
	case protocol.CloseRemote:
		return frames.CloseNormal, "Closed remotely"
	case protocol.CloseServerRestart:
		return frames.CloseGoingAway, "Server restart"
	case protocol.CloseNoPong:
		return frames.CloseNormal, "No Pong"
	case protocol.CloseTooManyRequests:
		return frames.ClosePolicyViolation, "Too many messages"
	}
	return frames.CloseNormal, "" // CloseNormal, CloseTooSlow
}

// RejectSubscription is Action Cable's reject_subscription.
func (p *Protocol) RejectSubscription(identifier string) string {
	b, _ := json.Marshal(struct {
		Type       string `json:"type"`
		Identifier string `json:"identifier"`
	}{"reject_subscription", identifier})
	return string(b)
}
