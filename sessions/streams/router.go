// Package streams serves subscriptions that need no application: signed and
// public streams on the pub/sub channel, Turbo Streams and CableReady.
package streams

import (
	"encoding/json"
	"log/slog"
	"strings"

	"github.com/densecable/densecable/rpcclient/rpcpb"
	"github.com/densecable/densecable/sessions"
)

// Channel names and channel state keys.
const (
	DefaultPubSubChannel = "$pubsub"
	TurboChannel         = "Turbo::StreamsChannel"
	CableReadyChannel    = "CableReady::Stream"

	// WhisperStateKey and PresenceStateKey are the channel state keys
	// holding the whisper and presence streams.
	WhisperStateKey  = "$w"
	PresenceStateKey = "$p"
)

// Options configures the router. Map the flags as:
// PubSubChannel = [streams] pubsub_channel, Secret = --streams_secret (else
// --secret), Public = --public_streams || --public, Whisper =
// --streams_whisper, Presence = --streams_presence (true by default),
// TurboStreams/TurboSecret = --turbo_streams/--turbo_streams_secret,
// CableReady/CableReadySecret = --cable_ready/--cable_ready_secret.
type Options struct {
	// PubSubChannel is the channel name of direct stream subscriptions;
	// empty means DefaultPubSubChannel.
	PubSubChannel string
	// Secret verifies signed_stream_name; empty rejects signed names.
	Secret string
	// Public allows unsigned stream_name subscriptions.
	Public bool
	// Whisper allows whispers on signed streams (public ones always may).
	Whisper bool
	// Presence allows presence on signed streams (public ones always may).
	Presence bool
	// TurboStreams serves Turbo::StreamsChannel with TurboSecret, else
	// Secret; without any secret the channel goes to RPC.
	TurboStreams bool
	TurboSecret  string
	// CableReady serves CableReady::Stream with CableReadySecret, else
	// Secret; without any secret the channel goes to RPC.
	CableReady       bool
	CableReadySecret string
}

// Router implements sessions.ChannelRouter for the channels above.
type Router struct {
	pubsub     string
	signed     *Verifier
	public     bool
	whisper    bool
	presence   bool
	turbo      *Verifier // nil: not served here
	cableReady *Verifier // nil: not served here
	log        *slog.Logger
}

var _ sessions.ChannelRouter = (*Router)(nil)

// New builds the router. The pub/sub channel is always served here, as in
// anycable-go: without a secret or --public_streams it rejects.
func New(opts Options, log *slog.Logger) *Router {
	if log == nil {
		log = slog.Default()
	}
	r := &Router{
		pubsub:   opts.PubSubChannel,
		signed:   NewVerifier(opts.Secret),
		public:   opts.Public,
		whisper:  opts.Whisper,
		presence: opts.Presence,
		log:      log,
	}
	if r.pubsub == "" {
		r.pubsub = DefaultPubSubChannel
	}
	if s := orDefault(opts.TurboSecret, opts.Secret); opts.TurboStreams && s != "" {
		r.turbo = NewVerifier(s)
	}
	if s := orDefault(opts.CableReadySecret, opts.Secret); opts.CableReady && s != "" {
		r.cableReady = NewVerifier(s)
	}
	return r
}

func orDefault(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

// identifierParams is what the router reads from a subscription identifier.
// The params stay raw so that a bad type in a param the channel does not use
// cannot fail it.
type identifierParams struct {
	Channel          string          `json:"channel"`
	StreamName       json.RawMessage `json:"stream_name"`
	SignedStreamName json.RawMessage `json:"signed_stream_name"`
	Identifier       json.RawMessage `json:"identifier"`
}

// Subscribe implements sessions.ChannelRouter: nil for channels it does
// not serve (and identifiers that are not JSON objects), SUCCESS with the
// stream or FAILURE with a rejection otherwise. A subscriber without
// clientCommands gets no whisper or presence state.
func (r *Router) Subscribe(sid, _, identifier string, clientCommands bool) *rpcpb.CommandResponse {
	if !r.mayServe(identifier) {
		return nil
	}
	return r.route(sid, identifier, clientCommands)
}

// route decodes the identifier and serves the channels the router knows.
func (r *Router) route(sid, identifier string, clientCommands bool) *rpcpb.CommandResponse {
	var p identifierParams
	if err := json.Unmarshal([]byte(identifier), &p); err != nil {
		return nil
	}
	switch {
	case p.Channel == r.pubsub:
		return r.subscribePubSub(sid, identifier, &p, clientCommands)
	case p.Channel == TurboChannel && r.turbo != nil:
		return r.subscribeSigned(sid, identifier, r.turbo, p.SignedStreamName)
	case p.Channel == CableReadyChannel && r.cableReady != nil:
		return r.subscribeSigned(sid, identifier, r.cableReady, p.Identifier)
	}
	return nil
}

// mayServe is false when identifier cannot name a channel the router
// serves, so that every other channel's subscription (the application's,
// over RPC) skips decoding its identifier: without an escape in the text a
// decoded channel name appears in it as is.
func (r *Router) mayServe(identifier string) bool {
	if strings.IndexByte(identifier, '\\') >= 0 || strings.Contains(identifier, r.pubsub) {
		return true
	}
	return r.turbo != nil && strings.Contains(identifier, TurboChannel) ||
		r.cableReady != nil && strings.Contains(identifier, CableReadyChannel)
}

func (r *Router) subscribePubSub(sid, identifier string, p *identifierParams, clientCommands bool) *rpcpb.CommandResponse {
	signed, err := stringParam(p.SignedStreamName)
	if err != nil {
		return r.invalid(sid, identifier, err)
	}
	name, err := stringParam(p.StreamName)
	if err != nil {
		return r.invalid(sid, identifier, err)
	}
	if signed != "" {
		stream, err := r.signed.Verify(signed)
		if err != nil {
			return r.reject(sid, identifier, err.Error())
		}
		return confirm(identifier, stream, r.whisper && clientCommands, r.presence && clientCommands)
	}
	switch {
	case name == "":
		return r.reject(sid, identifier, "no stream name")
	case !r.public:
		return r.reject(sid, identifier, "public streams are not allowed")
	}
	return confirm(identifier, name, clientCommands, clientCommands)
}

// subscribeSigned serves Turbo and CableReady: a signed name, no whispers,
// no presence.
func (r *Router) subscribeSigned(sid, identifier string, v *Verifier, param json.RawMessage) *rpcpb.CommandResponse {
	signed, err := stringParam(param)
	if err != nil {
		return r.invalid(sid, identifier, err)
	}
	stream, err := v.Verify(signed)
	if err != nil {
		return r.reject(sid, identifier, err.Error())
	}
	return confirm(identifier, stream, false, false)
}

// stringParam decodes an optional string param; absent or null is "".
func stringParam(raw json.RawMessage) (string, error) {
	var s string
	if len(raw) == 0 {
		return "", nil
	}
	err := json.Unmarshal(raw, &s)
	return s, err
}

func confirm(identifier, stream string, whisper, presence bool) *rpcpb.CommandResponse {
	res := &rpcpb.CommandResponse{
		Status:        rpcpb.Status_SUCCESS,
		Streams:       []string{stream},
		Transmissions: []string{confirmJSON(identifier)},
	}
	if whisper || presence {
		state := make(map[string]string, 2)
		if whisper {
			state[WhisperStateKey] = stream
		}
		if presence {
			state[PresenceStateKey] = stream
		}
		res.Env = &rpcpb.EnvResponse{Istate: state}
	}
	return res
}

func (r *Router) reject(sid, identifier, why string) *rpcpb.CommandResponse {
	r.log.Debug("stream subscription rejected", "sid", sid, "identifier", identifier, "reason", why)
	return &rpcpb.CommandResponse{
		Status:        rpcpb.Status_FAILURE,
		Transmissions: []string{rejectJSON(identifier)},
	}
}

// invalid answers a param of the wrong type the way anycable-go does: an
// error, logged, and nothing sent to the client.
func (r *Router) invalid(sid, identifier string, err error) *rpcpb.CommandResponse {
	r.log.Debug("invalid stream subscription identifier", "sid", sid, "identifier", identifier, "error", err)
	return &rpcpb.CommandResponse{
		Status:   rpcpb.Status_ERROR,
		ErrorMsg: "invalid identifier: " + err.Error(),
	}
}
