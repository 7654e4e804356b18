package sse

import (
	"net/http"

	"github.com/densecable/densecable/sessions/actioncable"
	"github.com/densecable/densecable/sessions/protocol"
)

// Protocol is Action Cable over SSE, as the core sees it: Action Cable's
// messages rendered by the SSE Encoder. One value per variant: GET (data
// replies carry only their message) and POST (full replies). It is not
// extended: an SSE client cannot answer pings (no pong timeout) nor resume
// a session; history is asked for with the subscription.
type Protocol struct {
	*actioncable.Protocol
}

var (
	getProtocol  = &Protocol{actioncable.New("sse", &Encoder{unwrap: true})}
	postProtocol = &Protocol{actioncable.New("sse-full", &Encoder{})}
)

var (
	_ protocol.Protocol      = (*Protocol)(nil)
	_ protocol.SessionPolicy = (*Protocol)(nil)
)

// Policy: an SSE client sends nothing once its request is in, so its
// channels keep no whisper or presence state (unless a POST subscription
// joins presence).
func (p *Protocol) Policy() protocol.Policy { return protocol.Policy{ListenOnly: true} }

// AppendReply renders a reply; the pong to the handler's own closing ping
// becomes the marker that every subscription was answered (Transport).
func (p *Protocol) AppendReply(dst []byte, r *protocol.Reply) ([]byte, error) {
	if r.Type == "pong" {
		return append(dst, readyMarker...), nil
	}
	return p.Protocol.AppendReply(dst, r)
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
