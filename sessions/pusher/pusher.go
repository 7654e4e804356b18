// Package pusher is the Pusher Channels WebSocket protocol (version 7) on
// the session core: pusher-js, Laravel Echo and the other Pusher clients
// connect to /app/KEY and use public, private- and presence- channels and
// client events, with no RPC application involved — the app key and the
// channel signatures (HMAC-SHA256 with the app secret) decide.
//
// A Pusher channel is the stream of the same name. An event reaches a
// channel's subscribers as a publication whose data is
// {"event":"<name>","data":<data>} (what the HTTP API and client events
// publish); this package renders it as {"event":..,"channel":..,"data":..}.
// The session id is the Pusher socket_id ("1234.5678"), so a publication's
// exclude_socket names it.
package pusher

import (
	"context"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/encoders"
	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/sessions/protocol"
)

// Path is where the protocol is mounted; clients connect to Path/KEY.
const Path = "/app"

// PresenceReader reads a presence channel's members (the broker).
type PresenceReader interface {
	PresenceInfo(ctx context.Context, stream string) (*broker.PresenceInfo, error)
}

// Options configure the protocol.
type Options struct {
	AppKey string
	Secret string
	// ClientEventRate is how many client events a connection may send per
	// second (a burst of as many is allowed); past it the connection is
	// closed with 4301. 0 means no limit.
	ClientEventRate int
	// ActivityTimeout is the activity_timeout told to clients (default
	// 30 s); the server pings every two thirds of it.
	ActivityTimeout time.Duration
	// Presence lists a presence channel's members for
	// subscription_succeeded (nil: only the joining member is listed).
	Presence PresenceReader
	// OnClientEvent hears every client event the server forwards (for
	// webhooks); it runs on a session worker and must not block. userID
	// is "" outside presence channels.
	OnClientEvent func(channel, event string, data []byte, socketID, userID string)
}

// DefaultActivityTimeout is what the reference announces.
const DefaultActivityTimeout = 30 * time.Second

// Protocol is the Pusher protocol; one value serves every connection.
type Protocol struct {
	opts    Options
	welcome []byte // the connection_established data after the socket id
}

var _ interface {
	protocol.Protocol
	protocol.ConnectAuthorizer
	protocol.SubscribeAuthorizer
	protocol.Stateful
	protocol.Limiter
	protocol.SIDMaker
	protocol.SessionPolicy
	protocol.Whisperer
} = (*Protocol)(nil)

// New returns the protocol for one Pusher app.
func New(opts Options) *Protocol {
	if opts.ActivityTimeout <= 0 {
		opts.ActivityTimeout = DefaultActivityTimeout
	}
	w := []byte(`","activity_timeout":`)
	w = strconv.AppendInt(w, int64(opts.ActivityTimeout/time.Second), 10)
	return &Protocol{opts: opts, welcome: append(w, '}')}
}

func (p *Protocol) Name() string              { return "pusher" }
func (p *Protocol) Encoder() encoders.Encoder { return codec{} }

// Extended is false: Pusher has no session resume or history.
func (p *Protocol) Extended() bool { return false }

func (p *Protocol) Decode(b []byte, m *protocol.Command) error { return codec{}.Decode(b, m) }

// Policy: pings every two thirds of activity_timeout (clients answer each
// one, and ping themselves after activity_timeout of silence), member
// events only to the other members, and a closed socket leaves presence at
// once, as Pusher does; no Disconnect call, even with
// --disconnect_mode=always (the application never saw the connection).
func (p *Protocol) Policy() protocol.Policy {
	return protocol.Policy{
		PingInterval:       p.opts.ActivityTimeout * 2 / 3,
		PresenceOthersOnly: true,
		LeaveOnClose:       true,
		NoDisconnectCall:   true,
	}
}

// AppendWelcome is pusher:connection_established; its data is a JSON
// string.
func (p *Protocol) AppendWelcome(dst []byte, sid string, _ bool, _ []string) ([]byte, error) {
	dst = append(dst, `{"event":"pusher:connection_established","data":`...)
	inner := append(append([]byte(`{"socket_id":"`), sid...), p.welcome...)
	dst = appendJSONString(dst, inner)
	return append(dst, '}'), nil
}

func (p *Protocol) AppendReply(dst []byte, r *protocol.Reply) ([]byte, error) {
	return codec{}.AppendReply(dst, r)
}

// AppendTransmission copies the message: the only transmissions are this
// package's own, already in Pusher's shape.
func (p *Protocol) AppendTransmission(dst []byte, _, msg string) ([]byte, error) {
	return append(dst, msg...), nil
}

func (p *Protocol) AppendPing(dst []byte, ts int64) ([]byte, error) {
	return codec{}.AppendPing(dst, ts)
}

func (p *Protocol) AppendDisconnect(dst []byte, reason string, reconnect bool) ([]byte, error) {
	return codec{}.AppendDisconnect(dst, reason, reconnect)
}

// CloseFor gives Pusher's close codes: 4000-4099 do not reconnect,
// 4100-4199 reconnect after a back-off, 4200-4299 reconnect at once, 4300+
// do not reconnect (pusher-js acts on these ranges).
func (p *Protocol) CloseFor(kind protocol.CloseKind) (uint16, string) {
	switch kind {
	case protocol.CloseAuthFailed, protocol.CloseCommandFailed:
		return CodeUnauthorized, "Connection is unauthorized"
	case protocol.CloseAuthError, protocol.CloseTooSlow:
		return CodeOverCapacity, "Over capacity"
	case protocol.CloseServerRestart, protocol.CloseRemote:
		return CodeReconnect, "Server restart"
	case protocol.CloseNoPong:
		return CodeNoPong, "Pong reply not received"
	case protocol.CloseTooManyRequests:
		return CodeClientEventRate, "Client event rejected due to rate limit"
	}
	return frames.CloseNormal, ""
}

// RejectSubscription is pusher:subscription_error (not used: every
// subscription is decided by AuthorizeSubscribe).
func (p *Protocol) RejectSubscription(identifier string) string {
	return string(appendSubscriptionError(nil, identifier, "AuthError", "Subscription rejected", 401))
}

// NewSID makes a socket id like Pusher's: two random integers.
func (p *Protocol) NewSID() string {
	b := strconv.AppendUint(make([]byte, 0, 21), uint64(rand.Uint32()), 10)
	b = append(b, '.')
	return string(strconv.AppendUint(b, uint64(rand.Uint32()), 10))
}

// ValidSID accepts an X-Request-ID in the socket id format (digits, one
// dot, digits; at most 41 bytes).
func (p *Protocol) ValidSID(id string) bool {
	if len(id) < 3 || len(id) > 41 {
		return false
	}
	dot := -1
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case c == '.' && dot < 0:
			dot = i
		case c < '0' || c > '9':
			return false
		}
	}
	return dot > 0 && dot < len(id)-1
}
