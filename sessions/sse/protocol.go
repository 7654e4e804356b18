package sse

import (
	"net/http"

	"github.com/densecable/densecable/encoders"
	"github.com/densecable/densecable/sessions/actioncable"
	"github.com/densecable/densecable/sessions/protocol"
)

// Protocol is Action Cable over SSE, as the core sees it: the JSON
// protocol's messages rendered as SSE events. One value per variant: GET
// (data replies carry only their message) and POST (full replies).
type Protocol struct {
	enc *Encoder
}

var (
	getProtocol  = &Protocol{enc: &Encoder{unwrap: true}}
	postProtocol = &Protocol{enc: &Encoder{}}
)

var _ protocol.Protocol = (*Protocol)(nil)

func (p *Protocol) Name() string {
	if p.enc.unwrap {
		return "sse"
	}
	return "sse-full"
}

func (p *Protocol) Encoder() encoders.Encoder { return p.enc }

// Extended is false: an SSE client cannot answer pings (no pong timeout)
// nor resume a session; history is asked for with the subscription.
func (p *Protocol) Extended() bool { return false }

func (p *Protocol) Decode(b []byte, m *protocol.Command) error { return p.enc.Decode(b, m) }

func (p *Protocol) AppendWelcome(dst []byte, sid string, restored bool, ids []string) ([]byte, error) {
	return p.enc.AppendReply(dst, &encoders.Reply{Type: "welcome", Sid: sid, Restored: restored, RestoredIDs: ids})
}

// AppendReply renders a reply; the pong to the handler's own closing ping
// becomes the marker that every subscription was answered (Transport).
func (p *Protocol) AppendReply(dst []byte, r *protocol.Reply) ([]byte, error) {
	if r.Type == "pong" {
		return append(dst, readyMarker...), nil
	}
	return p.enc.AppendReply(dst, r)
}

func (p *Protocol) AppendTransmission(dst []byte, _, msg string) ([]byte, error) {
	return p.enc.AppendTransmission(dst, msg)
}

func (p *Protocol) AppendPing(dst []byte, ts int64) ([]byte, error) { return p.enc.AppendPing(dst, ts) }

func (p *Protocol) AppendDisconnect(dst []byte, reason string, reconnect bool) ([]byte, error) {
	return p.enc.AppendDisconnect(dst, reason, reconnect)
}

// CloseFor gives the HTTP status a request gets when the core ends it
// before its response started (the transport ignores it afterwards): 401
// for a refused connection, 400 for the rest, as anycable-go answers (an
// RPC failure during Connect included); 503 when the server is going away
// or the output before the response passed its bound.
func (p *Protocol) CloseFor(kind protocol.CloseKind) (uint16, string) {
	switch kind {
	case protocol.CloseAuthFailed:
		return http.StatusUnauthorized, "Auth Failed"
	case protocol.CloseServerRestart:
		return http.StatusServiceUnavailable, "Server restart"
	case protocol.CloseTooSlow:
		return http.StatusServiceUnavailable, "Too slow"
	}
	return http.StatusBadRequest, ""
}

// RejectSubscription is Action Cable's reject_subscription.
func (p *Protocol) RejectSubscription(identifier string) string {
	return actioncable.Default().RejectSubscription(identifier)
}
