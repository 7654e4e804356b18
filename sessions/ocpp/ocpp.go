// Package ocpp is OCPP 1.6 (OCPP-J, sub-protocol ocpp1.6) for the session
// core: a charge point at <--ocpp_path>/{station_id} becomes an Action
// Cable client of the channel OCPPChannel. Its BootNotification connects
// it (Connect, subscribe with the station's serial number, perform
// boot_notification), its later calls become channel actions, the server
// acknowledges them unless the application does (an "Ack" transmission),
// and commands broadcast to the station's stream go to it as server calls,
// one at a time, their answers coming back as the ack and error actions.
package ocpp

import (
	"net/url"
	"strings"
	"time"

	"github.com/densecable/densecable/encoders"
	"github.com/densecable/densecable/encoders/jsonkit"
	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/sessions/protocol"
)

// Subprotocol is the WebSocket sub-protocol OCPP 1.6 is spoken under.
const Subprotocol = "ocpp1.6"

// Channel is the Action Cable channel charge points subscribe to.
const Channel = "OCPPChannel"

// Defaults of the protocol's bounds (see docs/limits.md).
const (
	// HeartbeatInterval is the interval (seconds) a BootNotification's
	// default answer asks for.
	HeartbeatInterval = 30
	// MaxPendingCalls bounds the server calls waiting behind the one in
	// flight, per station.
	MaxPendingCalls = 16
	// CallTimeout is how long a server call waits for its answer (queued
	// or in flight) before the error action hears "Timeout".
	CallTimeout = 30 * time.Second
	// BootTimeout is how long a station may stay connected without a
	// BootNotification (it holds a socket and a session, and costs the
	// application nothing, so nothing else would end it).
	BootTimeout = 30 * time.Second
)

// Options configure the protocol.
type Options struct {
	// Path is --ocpp_path: the station id is the path segment after it.
	Path string
	// GranularActions: one channel action per OCPP action (Authorize →
	// authorize); false sends every call to receive.
	GranularActions bool
	// Now is the clock (tests); time.Now by default.
	Now func() time.Time
	// BootTimeout bounds the wait for BootNotification (BootTimeout by
	// default; tests shorten it).
	BootTimeout time.Duration
}

// Protocol is OCPP 1.6 over the session core; one value serves every
// charge point.
type Protocol struct {
	prefix      string
	granular    bool
	now         func() time.Time
	bootTimeout time.Duration
}

// New returns the protocol.
func New(o Options) *Protocol {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.BootTimeout <= 0 {
		o.BootTimeout = BootTimeout
	}
	return &Protocol{prefix: strings.TrimSuffix(o.Path, "/"), granular: o.GranularActions, now: o.Now, bootTimeout: o.BootTimeout}
}

var _ interface {
	protocol.Protocol
	protocol.Driver
	protocol.HandshakeTimer
} = (*Protocol)(nil)

func (p *Protocol) Name() string              { return Subprotocol }
func (p *Protocol) Encoder() encoders.Encoder { return codec{} }
func (p *Protocol) Extended() bool            { return false }

// Decode keeps the frame for Handle, which parses it on the session's
// worker (where the connection's state lives).
func (p *Protocol) Decode(b []byte, m *protocol.Command) error { return codec{}.Decode(b, m) }

// AppendWelcome: OCPP has no welcome (the BootNotification's answer is
// the acceptance).
func (p *Protocol) AppendWelcome(dst []byte, _ string, _ bool, _ []string) ([]byte, error) {
	return dst, nil
}

func (p *Protocol) AppendReply(dst []byte, r *protocol.Reply) ([]byte, error) {
	return codec{}.AppendReply(dst, r)
}

// AppendTransmission turns the application's {"command":"Ack","id":..,
// "payload":..} into a CALLRESULT; everything else (confirm_subscription,
// other commands, which Handle sends as server calls) stays off the wire.
func (p *Protocol) AppendTransmission(dst []byte, _, msg string) ([]byte, error) {
	c, ok := parseCommand([]byte(msg))
	if !ok || c.command != "Ack" || c.id == "" {
		return dst, nil
	}
	return AppendResult(dst, c.id, c.payload), nil
}

// AppendPing: no protocol-level pings (OCPP-J relies on WebSocket pings;
// --enable_native_pings sends them).
func (p *Protocol) AppendPing(dst []byte, _ int64) ([]byte, error) { return dst, nil }

// AppendDisconnect: OCPP-J has no disconnect message; the close says it.
func (p *Protocol) AppendDisconnect(dst []byte, _ string, _ bool) ([]byte, error) {
	return dst, nil
}

// CloseFor gives WebSocket close codes (OCPP-J defines none of its own).
func (p *Protocol) CloseFor(kind protocol.CloseKind) (uint16, string) {
	switch kind {
	case protocol.CloseAuthFailed:
		return frames.ClosePolicyViolation, "Auth Failed"
	case protocol.CloseAuthError:
		return frames.CloseInternalError, "Auth Error"
	case protocol.CloseServerRestart:
		return frames.CloseGoingAway, "Server restart"
	case protocol.CloseTooManyRequests:
		return frames.ClosePolicyViolation, "Too many messages"
	case protocol.CloseNoHandshake:
		return frames.ClosePolicyViolation, "No BootNotification"
	}
	return frames.CloseNormal, ""
}

// HandshakeTimeout implements protocol.HandshakeTimer: BootNotification
// must arrive within BootTimeout of the upgrade.
func (p *Protocol) HandshakeTimeout() time.Duration { return p.bootTimeout }

// RejectSubscription: a rejection reaches the station as a refused boot.
func (p *Protocol) RejectSubscription(string) string { return "" }

// stationID is the path segment after the prefix: /ocpp/CP-1 → CP-1.
func (p *Protocol) stationID(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	rest := strings.TrimPrefix(u.Path, p.prefix)
	rest = strings.TrimPrefix(rest, "/")
	id, _, _ := strings.Cut(rest, "/")
	return id
}

// identifier is the channel identifier for a station's serial number.
func identifier(sn string) string {
	b := jsonkit.AppendString([]byte(`{"channel":"`+Channel+`","sn":`), sn)
	return string(append(b, '}'))
}

// timestamp is OCPP's dateTime (UTC, milliseconds).
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// codec is the protocol's encoder: client frames are kept as they are for
// Handle, and a broadcast is its data, unchanged, for Deliver.
type codec struct{}

func (codec) ID() string                    { return "ocpp1.6" }
func (codec) FrameType() encoders.FrameType { return encoders.TextFrame }

func (codec) Decode(b []byte, m *encoders.Message) error {
	m.Reset()
	m.Command = "ocpp"
	m.RawData = append([]byte(nil), b...)
	return nil
}

// AppendReply passes broadcast data (Type "") on; the core's other
// replies (pong, presence, history) mean nothing to a charge point.
func (codec) AppendReply(dst []byte, r *encoders.Reply) ([]byte, error) {
	if r.Type != "" || len(r.Message) == 0 {
		return dst, nil
	}
	return append(dst, r.Message...), nil
}

func (codec) AppendDisconnect(dst []byte, _ string, _ bool) ([]byte, error) { return dst, nil }
func (codec) AppendPing(dst []byte, _ int64) ([]byte, error)                { return dst, nil }
func (codec) AppendTransmission(dst []byte, _ string) ([]byte, error)       { return dst, nil }
