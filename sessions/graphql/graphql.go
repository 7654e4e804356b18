// Package graphql is Apollo GraphQL over the session core: the
// graphql-transport-ws protocol (graphql-ws) and the legacy
// subscriptions-transport-ws one (sub-protocol "graphql-ws"), translated
// into Action Cable calls the way graphql-ruby's AnyCable side expects.
//
// connection_init authenticates (the core's Connect, with the params as the
// x-apollo-connection header); each operation is one subscription of the
// GraphQL channel, identifier {"channel":C,"channelId":ID}, followed by a
// perform of the GraphQL action with {query, variables, operationName}; the
// application's {result, more} transmissions and broadcasts become
// next/data and complete messages.
package graphql

import (
	"time"

	"github.com/densecable/densecable/encoders"
	"github.com/densecable/densecable/sessions/actioncable"
	"github.com/densecable/densecable/sessions/protocol"
)

// Sub-protocol names, as the client libraries send them.
const (
	TransportWS = "graphql-transport-ws" // graphql-ws
	LegacyWS    = "graphql-ws"           // subscriptions-transport-ws
)

// Bounds of a connection's input (docs/limits.md).
const (
	// MaxOperations is how many operations one connection may have
	// running; one more closes it (4400 Too many operations).
	MaxOperations = 64
	// MaxIDLength bounds an operation id (4400 otherwise).
	MaxIDLength = 128
	// InitTimeout is how long a client has to send connection_init (4408).
	InitTimeout = 3 * time.Second
)

// Close codes graphql-ws defines (its CloseCode enum).
const (
	CodeBadRequest          = 4400
	CodeUnauthorized        = 4401
	CodeForbidden           = 4403
	CodeInitTimeout         = 4408
	CodeSubscriberExists    = 4409
	CodeTooManyInitRequests = 4429
	CodeInternalError       = 4500
)

// ConnectionHeader carries the connection params JSON to the application.
const ConnectionHeader = "x-apollo-connection"

// Options configure the protocol (--graphql_channel, --graphql_action).
type Options struct {
	Channel string // default GraphqlChannel
	Action  string // default execute
	// JWTParam is the JWT identification parameter (--jwt_param, default
	// jid): connection params carrying it feed JWT identification.
	JWTParam string
}

// Protocol is one of the two GraphQL sub-protocols; one value is shared by
// every connection speaking it.
type Protocol struct {
	legacy bool
	opts   Options
	enc    *codec
}

// New returns the protocol for sub-protocol (TransportWS or LegacyWS).
func New(subprotocol string, opts Options) *Protocol {
	if opts.Channel == "" {
		opts.Channel = "GraphqlChannel"
	}
	if opts.Action == "" {
		opts.Action = "execute"
	}
	if opts.JWTParam == "" {
		opts.JWTParam = "jid"
	}
	p := &Protocol{legacy: subprotocol == LegacyWS, opts: opts}
	p.enc = &codec{p: p}
	return p
}

var _ interface {
	protocol.Protocol
	protocol.Stateful
	protocol.Screener
	protocol.Transmitter
	protocol.Handshaker
} = (*Protocol)(nil)

func (p *Protocol) Name() string {
	if p.legacy {
		return LegacyWS
	}
	return TransportWS
}

func (p *Protocol) Encoder() encoders.Encoder { return p.enc }

// Extended: no session resume, no pong timeouts (graphql-ws clients ping
// on their own schedule).
func (p *Protocol) Extended() bool { return false }

func (p *Protocol) Decode(b []byte, m *protocol.Command) error { return p.decode(b, m) }

// AppendWelcome is connection_ack (an authenticator accepted the client).
func (p *Protocol) AppendWelcome(dst []byte, _ string, _ bool, _ []string) ([]byte, error) {
	return append(dst, `{"type":"connection_ack"}`...), nil
}

// AppendReply renders the core's pong; GraphQL has no use for its other
// replies (presence, history).
func (p *Protocol) AppendReply(dst []byte, r *protocol.Reply) ([]byte, error) {
	return p.enc.AppendReply(dst, r)
}

// AppendTransmission is not used by the core (Transmit is); it renders
// the first message Transmit would.
func (p *Protocol) AppendTransmission(dst []byte, identifier, msg string) ([]byte, error) {
	first := true
	_, err := p.transmit(nil, identifier, msg, func(b []byte) {
		if first {
			dst = append(dst, b...)
			first = false
		}
	})
	return dst, err
}

// AppendPing is graphql-ws's ping (the client answers pong) or the legacy
// protocol's ka keep-alive.
func (p *Protocol) AppendPing(dst []byte, _ int64) ([]byte, error) { return p.enc.AppendPing(dst, 0) }

// AppendDisconnect: the legacy protocol says connection_error before the
// close; graphql-transport-ws says it with the close code only.
func (p *Protocol) AppendDisconnect(dst []byte, reason string, reconnect bool) ([]byte, error) {
	return p.enc.AppendDisconnect(dst, reason, reconnect)
}

// CloseFor uses graphql-ws's close codes where it has one, and Action
// Cable's codes and reasons (anycable-go's) for the rest.
func (p *Protocol) CloseFor(kind protocol.CloseKind) (uint16, string) {
	switch kind {
	case protocol.CloseAuthFailed:
		return CodeForbidden, "Forbidden"
	case protocol.CloseAuthError:
		return CodeInternalError, "Internal server error"
	case protocol.CloseNoHandshake:
		return CodeInitTimeout, "Connection initialisation timeout"
	}
	return actioncable.Default().CloseFor(kind)
}

// RejectSubscription is Action Cable's rejection, which Transmit renders
// as the operation's error.
func (p *Protocol) RejectSubscription(identifier string) string {
	return `{"type":"reject_subscription","identifier":` + string(appendJSONString(nil, identifier)) + `}`
}

// HandshakeTimeout implements protocol.Handshaker.
func (p *Protocol) HandshakeTimeout() time.Duration { return InitTimeout }
