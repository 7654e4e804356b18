// Package protocol is the seam between the session core (package sessions)
// and a wire protocol (Action Cable in sessions/actioncable; later Pusher,
// graphql-ws, OCPP). The core decides what happens to a client (identity,
// subscriptions, RPC calls, history, presence, pings, shutdown); a Protocol
// decides how it reads and looks on the wire.
//
// It is a leaf package (it imports only the codecs and frames' request), so
// that adapters do not import the core and the core's tests can use them.
//
// Adding a protocol: a new package under sessions/ that implements Protocol
// (and any of the optional hooks below), plus one line where the server
// chooses a protocol for a connection (cmd/server/websocket.go).
package protocol

import (
	"time"

	"github.com/densecable/densecable/encoders"
	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/rpcclient/rpcpb"
)

// Command is a client command in the core's vocabulary. Command.Command is
// one of: subscribe, unsubscribe, message (perform), whisper, ping, pong,
// history, join, leave, presence. A protocol maps its own messages onto
// these (a Pusher "pusher:subscribe" becomes subscribe, and so on).
type Command = encoders.Message

// Reply is a message from the core to one client. The core emits these
// Reply.Type values: pong, presence, confirm_history, reject_history, and a
// broadcast's type ("" for plain data) for history replays; the protocol
// renders them (or drops what it has no use for by returning dst as is).
type Reply = encoders.Reply

// CloseKind says why the core ends a connection; the protocol turns it into
// what its transport can express (a WebSocket close code and reason; an SSE
// stream just ends).
type CloseKind uint8

const (
	CloseNormal          CloseKind = iota // the client or the application asked for it
	CloseAuthFailed                       // authentication refused
	CloseAuthError                        // authentication could not be decided (RPC down)
	CloseCommandFailed                    // the application asked to disconnect after a command
	CloseRemote                           // a remote disconnect command (REST API, broadcast)
	CloseServerRestart                    // shutdown drain
	CloseNoPong                           // the client did not answer pings in time
	CloseTooSlow                          // the client does not read its output fast enough
	CloseTooManyRequests                  // the client sends faster than it is served
	CloseNoHandshake                      // a Handshaker's client did not authenticate in time
)

// Protocol renders the core's output and reads client input. A value is
// shared by every connection speaking it: implementations are stateless and
// safe for concurrent use (per-connection state goes in NewState).
type Protocol interface {
	// Name identifies the protocol in logs ("actioncable-v1-ext-json").
	Name() string
	// Encoder is the codec broadcasts are encoded with: fanout encodes a
	// publication once per Encoder value and shares the frame between every
	// subscriber that has it.
	Encoder() encoders.Encoder
	// Extended enables what the core only offers to protocols that can carry
	// it: session resume, pong timeouts.
	Extended() bool

	// Decode parses one client message into a command (m is reset first).
	Decode(payload []byte, m *Command) error

	// AppendWelcome renders the connection's acceptance: sid and, after a
	// restore, which subscriptions came back.
	AppendWelcome(dst []byte, sid string, restored bool, restoredIDs []string) ([]byte, error)
	// AppendReply renders a reply to this client only.
	AppendReply(dst []byte, r *Reply) ([]byte, error)
	// AppendTransmission renders a transmission the RPC application sent
	// (JSON text) for the subscription identifier ("" for connection-level
	// transmissions). It is the place for protocol-level handling of the
	// application's results (OCPP Ack, GraphQL {result, more} → next /
	// complete); returning dst unchanged sends nothing.
	AppendTransmission(dst []byte, identifier, msg string) ([]byte, error)
	// AppendPing renders a ping carrying ts (in the session's precision).
	AppendPing(dst []byte, ts int64) ([]byte, error)
	// AppendDisconnect renders a disconnect notice before a close.
	AppendDisconnect(dst []byte, reason string, reconnect bool) ([]byte, error)
	// CloseFor maps why the core ends a connection to the transport's close
	// code and reason.
	CloseFor(kind CloseKind) (code uint16, reason string)
	// RejectSubscription is the transmission sent when a subscription cannot
	// be asked of anyone (no RPC, no local channel).
	RejectSubscription(identifier string) string
}

// AuthOutcome is what a connect authorization decided.
type AuthOutcome uint8

const (
	// AuthSkip: not decided here; ask the next authority (RPC last).
	AuthSkip AuthOutcome = iota
	// AuthOK: accepted with Identifiers, no Connect call.
	AuthOK
	// AuthReject: disconnect(Reason, reconnect=false), then CloseAuthFailed.
	AuthReject
	// AuthError: CloseAuthError without a message.
	AuthError
)

// AuthResult is an authority's answer for a connection.
type AuthResult struct {
	Outcome     AuthOutcome
	Identifiers string
	Reason      string
	// Code, when not 0, is the close code of an AuthReject (Pusher's 4001
	// wrong key, 4007 protocol version); 0 means CloseFor(CloseAuthFailed).
	Code uint16
}

// ConnectAuthorizer is an optional Protocol hook: the protocol decides a
// connection itself (a Pusher app key, a signed URL), before the node's
// authenticators and the RPC Connect call.
type ConnectAuthorizer interface {
	AuthorizeConnect(sid string, req *frames.Request) AuthResult
}

// SubscribeAuthorizer is an optional Protocol hook: the protocol decides a
// subscription itself (Pusher private-channel signatures) without RPC. A
// nil response means "not mine": the core asks its channel router, then
// RPC. A response is applied like the application's (streams, state,
// transmissions rendered with AppendTransmission).
type SubscribeAuthorizer interface {
	AuthorizeSubscribe(sid, identifiers, identifier string, m *Command) *rpcpb.CommandResponse
}

// Stateful is an optional Protocol hook for per-connection protocol state
// (a rate limiter's bucket, a GraphQL operation table). NewState runs once
// per connection on the poller goroutine; the value is handed back to the
// hooks below. Keep it small: idle connections pay for it.
type Stateful interface {
	NewState() any
}

// Limiter is an optional Protocol hook: it may refuse a decoded command
// before the core queues it (a token bucket for client events). It runs on
// the poller goroutine; state is NewState's value or nil. Refusing
// disconnects the client like any over-limit client (CloseTooManyRequests,
// logged at DEBUG).
type Limiter interface {
	Allow(state any, m *Command) bool
}

// Observer receives transitions for webhooks and the like. Calls happen on
// hot paths (stream transitions under the hub's shard lock): they must not
// block; queue the event and deliver it elsewhere.
type Observer interface {
	// StreamOccupied: the node got its first subscriber to stream.
	StreamOccupied(stream string)
	// StreamVacated: the node lost its last subscriber to stream.
	StreamVacated(stream string)
	// PresenceJoined / PresenceLeft: a presence set changed (after the
	// broker accepted the change, once per change).
	PresenceJoined(stream, id string, info []byte)
	PresenceLeft(stream, id string)
}

// SIDMaker is an optional Protocol hook: the protocol chooses the format of
// its session ids (Pusher's socket_id "1234.5678", which clients send back
// as exclude_socket). Without it the core makes 21-character nanoids.
type SIDMaker interface {
	// NewSID returns a fresh random id; the core draws again on a clash
	// with a live session.
	NewSID() string
	// ValidSID reports whether a client's X-Request-ID may be used as the
	// sid (it appears in logs and broker keys: keep the format tight).
	ValidSID(id string) bool
}

// Policy is how the core treats one protocol's sessions where protocols
// differ (see SessionPolicy). The zero value is Action Cable's behaviour.
type Policy struct {
	// PingInterval replaces the node's ping interval (0: keep it). Pusher
	// clients answer every ping, so pinging them every 3 s would cost a
	// message each way.
	PingInterval time.Duration
	// PresenceOthersOnly: a presence join or leave is not sent to the
	// session that caused it (Pusher's member_added goes to the other
	// members only).
	PresenceOthersOnly bool
	// LeaveOnClose: a closed session leaves its presence sets at once
	// instead of when presence_ttl runs out (no session resume to wait for).
	LeaveOnClose bool
	// NoDisconnectCall: the application never hears of these sessions'
	// end, whatever --disconnect_mode says (Pusher sessions never call it).
	NoDisconnectCall bool
	// ListenOnly: the client sends nothing after its subscriptions (SSE),
	// so it can never whisper or ask about presence: the channels the node
	// serves itself (ChannelRouter) keep no whisper or presence state for
	// it, unless the subscription joins presence. An idle stream is the
	// smaller for it (64 bytes per pub/sub subscription).
	ListenOnly bool
}

// SessionPolicy is an optional Protocol hook giving its Policy; the core
// reads it once per protocol.
type SessionPolicy interface {
	Policy() Policy
}

// Whisperer is an optional Protocol hook for client-to-client messages
// (Pusher client events): it shapes what the core publishes to the
// subscription's whisper stream (to every other subscriber), or refuses
// with a message to the sender. Without it the command's data is published
// as it is. It runs on the session's worker.
type Whisperer interface {
	// Whisper gets the sender's sid, the subscription's identifier, its
	// whisper stream ("" when whispers are not allowed on it) and channel
	// state, and the command. It returns the publication's data (nil:
	// publish nothing) and a rendered message for the sender (nil: none).
	Whisper(sid, identifier, stream string, state map[string]string, m *Command) (data, reply []byte)
}

// ErrorReply is an optional interface of an error Decode returns: the
// message the client gets for its bad input (Pusher's pusher:error).
// Without it bad input is only logged.
type ErrorReply interface {
	error
	// AppendErrorReply renders the message for the client.
	AppendErrorReply(dst []byte) []byte
}

// Driver is an optional Protocol hook for protocols whose messages are not
// the core's commands one to one (OCPP: a BootNotification is Connect +
// subscribe + perform, the server acknowledges calls itself, and server
// calls wait for the client's answer one at a time). A Driver's connection
// is not authenticated when it opens: Handle calls Session.Connect when the
// protocol's handshake arrives. Broadcasts to its streams reach Deliver,
// not the transport. Handle, Deliver and Tick run on the session's worker,
// one at a time, so the state needs no lock for them.
type Driver interface {
	Stateful
	// Handle runs one decoded client message (whether or not connected).
	Handle(state any, m *Command, s Session)
	// Deliver gets a broadcast for this connection: the Encoder's output,
	// unframed. It may send it (Session.Send), hold it, or drop it.
	Deliver(state any, msg []byte, s Session)
	// Due reports whether Tick has work at now (Unix ns). The core's pinger
	// asks at each of the session's pings, from its own goroutine: it must
	// be cheap and safe next to the other methods (an atomic load).
	Due(state any, now int64) bool
	// Tick runs the work Due announced (time-outs).
	Tick(state any, now int64, s Session)
}

// Session is what a Driver may ask of the core for its connection, from
// Handle, Deliver and Tick only.
type Session interface {
	// Connect authenticates the connection (authenticators, then RPC
	// Connect) the first time; it reports whether it is connected. A
	// refusal closes the connection (CloseAuthFailed).
	Connect() bool
	// Subscribe subscribes to the channel identifier (at once true when
	// already subscribed); it reports whether the subscription exists.
	Subscribe(identifier string) bool
	// Perform calls a channel action with data (Action Cable perform data,
	// JSON text with "action"). The application's transmissions have gone
	// through AppendTransmission; they are returned too, with ok false when
	// the call failed.
	Perform(identifier, data string) (transmissions []string, ok bool)
	// Send writes one message (unframed) to the client.
	Send(payload []byte)
	// URL is the connection's request URL (env url).
	URL() string
	// Debug logs at debug level with the session's sid (bad client input).
	Debug(msg string, args ...any)
}

// Refusal is an error Decode or Screen may return to answer bad input in
// the protocol's own terms: Reply (a rendered message, may be nil) is sent,
// then the connection closes with Code and Reason, unless Code is 0 (the
// command is only dropped). Any other error drops the message (logged).
type Refusal struct {
	Code   uint16
	Reason string
	Reply  []byte
}

func (r *Refusal) Error() string {
	if r.Reason == "" {
		return "refused"
	}
	return r.Reason
}

// HandshakeTimer bounds the time from the upgrade to a protocol's own
// handshake: a Handshaker's connect command, or a Driver's first
// Session.Connect (OCPP's BootNotification). A client that has not
// completed it within HandshakeTimeout is closed (CloseNoHandshake); the
// deadline is one slot in the pinger's heap, not a timer per connection.
// A Handshaker must implement it; for a Driver it is optional (without it
// the client may wait as long as it likes before its handshake).
type HandshakeTimer interface {
	HandshakeTimeout() time.Duration
}

// Handshaker is an optional Protocol hook for protocols whose client
// authenticates with a message rather than with the upgrade (GraphQL's
// connection_init). The core does not connect at the upgrade; it connects
// when Decode yields the command "connect", and closes the connection
// (CloseNoHandshake) when none came within HandshakeTimeout — a
// deadline kept in the pinger's heap, not a timer per connection.
type Handshaker interface {
	HandshakeTimer
	// Handshake turns the connect command m into the request the
	// authenticators and the RPC Connect see (req plus what m carries,
	// such as a token), and headers added to the RPC env whatever
	// --headers selects. It runs on the session's worker.
	Handshake(req *frames.Request, m *Command) (auth *frames.Request, env []frames.Header)
}

// Screener is an optional Protocol hook: it checks a decoded command
// against the connection's protocol state (Stateful) on the transport's
// goroutine, before the core queues it, and refuses it with a *Refusal
// (a command out of order, a duplicate operation id).
type Screener interface {
	Screen(state any, m *Command) error
}

// Transmitter is an optional Protocol hook used instead of
// AppendTransmission: it renders one transmission of the application as
// any number of messages (emit takes each; the slice is not kept) and
// reports whether it ends the subscription identifier (GraphQL's
// more:false); the core then unsubscribes it as a client's unsubscribe
// would. It runs on the session's worker; state is NewState's value.
type Transmitter interface {
	Transmit(state any, identifier, msg string, emit func([]byte)) (ends bool, err error)
}
