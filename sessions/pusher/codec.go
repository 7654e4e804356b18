package pusher

import (
	"errors"
	"strconv"
	"strings"

	"github.com/densecable/densecable/encoders"
	"github.com/densecable/densecable/encoders/jsonkit"
)

// codec reads Pusher client messages into the core's commands and renders
// the core's replies and broadcasts in Pusher's JSON. It is the Encoder
// fanout frames broadcasts with, so a publication is rendered once for
// every Pusher subscriber of a stream.
type codec struct{}

var _ encoders.Encoder = codec{}

func (codec) ID() string                    { return "pusher7" }
func (codec) FrameType() encoders.FrameType { return encoders.TextFrame }

// wireError is bad client input; the client gets a pusher:error (code
// null unless set), the connection stays.
type wireError struct {
	code int
	msg  string
}

func (e *wireError) Error() string { return "pusher: " + e.msg }

func (e *wireError) AppendErrorReply(dst []byte) []byte { return appendError(dst, e.code, e.msg) }

func badInput(msg string) error { return &wireError{msg: msg} }

// message is a client message's envelope: event, channel and the raw
// data value (nil when absent).
type message struct {
	event, channel string
	data           []byte
}

// Decode maps a client message onto a command:
//
//	pusher:subscribe   → subscribe (Identifier: channel, Data: auth,
//	                     RawData: channel_data, Presence: the member of a
//	                     presence- channel, read from channel_data)
//	pusher:unsubscribe → unsubscribe
//	pusher:ping/pong   → ping/pong
//	client-*           → whisper (Identifier: channel, Data: event name,
//	                     RawData: data as sent)
//
// The signature is checked later (AuthorizeSubscribe): Decode only reads.
func (codec) Decode(b []byte, m *encoders.Message) error {
	m.Reset()
	var env message
	if err := readEnvelope(b, &env); err != nil {
		return err
	}
	switch {
	case env.event == "pusher:subscribe" || env.event == "pusher:unsubscribe":
		if err := readSubscription(env.data, m); err != nil {
			return err
		}
		m.Command = "subscribe"
		if env.event == "pusher:unsubscribe" {
			m.Command = "unsubscribe"
			m.Data, m.DataIsString, m.RawData, m.Presence = "", false, nil, nil
		}
	case env.event == "pusher:ping":
		m.Command = "ping"
	case env.event == "pusher:pong":
		m.Command = "pong"
	case strings.HasPrefix(env.event, "client-"):
		if len(env.event) > maxEventName {
			return badInput("Event name too long")
		}
		if env.channel == "" {
			return badInput("Client event without a channel")
		}
		if len(env.data) > maxClientEventData {
			return badInput("Client event data over 10 KB")
		}
		m.Command = "whisper"
		m.Identifier = env.channel
		m.Data = env.event
		m.RawData = env.data
		if m.RawData == nil {
			m.RawData = []byte("null")
		}
	case env.event == "":
		return badInput("Missing event")
	default:
		return badInput("Unsupported event: " + truncate(env.event, maxEventName))
	}
	return nil
}

// readEnvelope reads the top-level object: event and channel (strings)
// and data (any value, kept as JSON text). Other members are skipped; a
// repeated member counts once, the last, like encoding/json.
func readEnvelope(b []byte, env *message) error {
	i := jsonkit.SkipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return badInput("Invalid JSON: an object is expected")
	}
	end, err := jsonkit.EachMember(b, i, func(k jsonkit.Str, v int) (int, error) {
		switch jsonkit.Key(b, k) {
		case "event":
			return readString(b, v, &env.event)
		case "channel":
			return readString(b, v, &env.channel)
		case "data":
			e, err := jsonkit.SkipValue(b, v, 1)
			if err == nil {
				env.data = append([]byte(nil), b[v:e]...)
			}
			return e, err
		}
		return jsonkit.SkipValue(b, v, 1)
	})
	if err != nil {
		return badInput("Invalid JSON")
	}
	if jsonkit.SkipSpace(b, end) != len(b) {
		return badInput("Invalid JSON: data after the object")
	}
	return nil
}

// readSubscription reads pusher:subscribe data {channel, auth,
// channel_data}.
func readSubscription(data []byte, m *encoders.Message) error {
	if len(data) == 0 || data[0] != '{' {
		return badInput("Subscription data must be an object")
	}
	var channelData string
	_, err := jsonkit.EachMember(data, 0, func(k jsonkit.Str, v int) (int, error) {
		switch jsonkit.Key(data, k) {
		case "channel":
			return readString(data, v, &m.Identifier)
		case "auth":
			return readString(data, v, &m.Data)
		case "channel_data":
			if data[v] == 'n' { // null: absent
				return jsonkit.ScanLiteral(data, v, "null")
			}
			return readString(data, v, &channelData)
		}
		return jsonkit.SkipValue(data, v, 1)
	})
	if err != nil {
		return badInput("Invalid subscription data")
	}
	if !ValidChannel(m.Identifier) {
		return badInput("Invalid channel name")
	}
	m.DataIsString = m.Data != ""
	if channelData != "" {
		m.RawData = []byte(channelData)
		if strings.HasPrefix(m.Identifier, "presence-") {
			m.Presence = readMember([]byte(channelData))
		}
	}
	return nil
}

// readMember reads channel_data {"user_id":..,"user_info":..}: user_id is
// a string or a number (Laravel sends integers); nil without one or when
// channel_data is not one JSON object.
func readMember(b []byte) *encoders.PresenceRequest {
	i := jsonkit.SkipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil
	}
	var p encoders.PresenceRequest
	end, err := jsonkit.EachMember(b, i, func(k jsonkit.Str, v int) (int, error) {
		switch jsonkit.Key(b, k) {
		case "user_id":
			if b[v] == '"' {
				return readString(b, v, &p.ID)
			}
			e, _, err := jsonkit.ScanNumber(b, v)
			if err == nil {
				p.ID = string(b[v:e])
			}
			return e, err
		case "user_info":
			e, err := jsonkit.SkipValue(b, v, 1)
			if err == nil {
				p.Info = append([]byte(nil), b[v:e]...)
			}
			return e, err
		}
		return jsonkit.SkipValue(b, v, 1)
	})
	// channel_data is one JSON object: anything after it makes it invalid.
	if err != nil || p.ID == "" || jsonkit.SkipSpace(b, end) != len(b) {
		return nil
	}
	return &p
}

// ValidChannel reports a Pusher channel name: 1-200 bytes of letters,
// digits and _ - = @ , . ; (Pusher's alphabet). The HTTP API uses it too.
func ValidChannel(name string) bool {
	if len(name) == 0 || len(name) > maxChannelName {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("_-=@,.;", c) >= 0) {
			return false
		}
	}
	return true
}

// readString reads the JSON string at b[v] into dst.
func readString(b []byte, v int, dst *string) (int, error) {
	if b[v] != '"' {
		return v, errors.New("string expected")
	}
	s, err := jsonkit.ScanString(b, v)
	if err != nil {
		return v, err
	}
	*dst = jsonkit.DecodeString(b, s)
	return s.End, nil
}

// AppendReply renders what the core sends one client or a stream's
// subscribers: pong, presence changes as member_added/member_removed, and
// broadcasts (Reply.Type "" or a publication's broadcast type) as events.
// History replies have no Pusher form and render as nothing.
func (codec) AppendReply(dst []byte, r *encoders.Reply) ([]byte, error) {
	switch r.Type {
	case "pong":
		return append(dst, `{"event":"pusher:pong","data":{}}`...), nil
	case "presence":
		return appendMemberEvent(dst, r.Identifier, r.Message), nil
	case "confirm_history", "reject_history":
		return dst, nil
	}
	return appendEvent(dst, r.Identifier, r.Message), nil
}

// appendEvent renders a publication: {"event":E,"data":D[,"user_id":U]}
// becomes {"event":E,"channel":C,"data":D[,"user_id":U]} with D as it
// came (a string stays a string). Anything else (an Action Cable style
// broadcast to the same stream) is delivered as event "message" with the
// JSON text as its data string.
func appendEvent(dst []byte, channel string, msg []byte) []byte {
	event, data, userID, ok := readPublication(msg)
	dst = append(dst, `{"event":`...)
	if !ok {
		dst = append(dst, `"message"`...)
		dst = appendChannel(dst, channel)
		dst = append(dst, `,"data":`...)
		dst = appendJSONString(dst, msg)
		return append(dst, '}')
	}
	dst = append(dst, event...)
	dst = appendChannel(dst, channel)
	dst = append(dst, `,"data":`...)
	dst = append(dst, data...)
	if userID != nil {
		dst = append(dst, `,"user_id":`...)
		dst = append(dst, userID...)
	}
	return append(dst, '}')
}

// readPublication finds the event (a JSON string), data and user_id (a
// JSON string) members of a publication, as JSON text slices of msg.
func readPublication(msg []byte) (event, data, userID []byte, ok bool) {
	if len(msg) == 0 || msg[0] != '{' {
		return nil, nil, nil, false
	}
	_, err := jsonkit.EachMember(msg, 0, func(k jsonkit.Str, v int) (int, error) {
		e, err := jsonkit.SkipValue(msg, v, 1)
		if err != nil {
			return e, err
		}
		switch jsonkit.Key(msg, k) {
		case "event":
			if msg[v] == '"' {
				event = msg[v:e]
			}
		case "data":
			data = msg[v:e]
		case "user_id":
			if msg[v] == '"' {
				userID = msg[v:e]
			}
		}
		return e, nil
	})
	if err != nil || len(event) <= 2 {
		return nil, nil, nil, false
	}
	if data == nil {
		data = []byte(`"{}"`)
	}
	return event, data, userID, true
}

// appendMemberEvent renders the core's presence message ({"id":..,
// "info":..,"type":"join"|"leave"}) as pusher_internal:member_added /
// member_removed, whose data is a JSON string. Other presence messages
// (the Action Cable presence info reply) render as nothing.
func appendMemberEvent(dst []byte, channel string, msg []byte) []byte {
	var typ, id string
	var info []byte
	if len(msg) == 0 || msg[0] != '{' {
		return dst
	}
	_, err := jsonkit.EachMember(msg, 0, func(k jsonkit.Str, v int) (int, error) {
		switch jsonkit.Key(msg, k) {
		case "type":
			return readString(msg, v, &typ)
		case "id":
			return readString(msg, v, &id)
		case "info":
			e, err := jsonkit.SkipValue(msg, v, 1)
			info = msg[v:e]
			return e, err
		}
		return jsonkit.SkipValue(msg, v, 1)
	})
	if err != nil || id == "" {
		return dst
	}
	inner := jsonkit.AppendString([]byte(`{"user_id":`), id)
	switch typ {
	case "join":
		dst = append(dst, `{"event":"pusher_internal:member_added"`...)
		if len(info) > 0 {
			inner = append(append(inner, `,"user_info":`...), info...)
		}
	case "leave":
		dst = append(dst, `{"event":"pusher_internal:member_removed"`...)
	default:
		return dst
	}
	dst = appendChannel(dst, channel)
	dst = append(dst, `,"data":`...)
	dst = appendJSONString(dst, append(inner, '}'))
	return append(dst, '}')
}

// AppendDisconnect is pusher:error with the code for the reason (4009
// when the client should not reconnect, 4200 when it should, for reasons
// without a code of their own).
func (codec) AppendDisconnect(dst []byte, reason string, reconnect bool) ([]byte, error) {
	code, ok := reasonCodes[reason]
	if !ok {
		code = CodeUnauthorized
		if reconnect {
			code = CodeReconnect
		}
	}
	return appendError(dst, code, reason), nil
}

// AppendPing is the server's pusher:ping (Pusher's has no timestamp).
func (codec) AppendPing(dst []byte, _ int64) ([]byte, error) {
	return append(dst, `{"event":"pusher:ping","data":{}}`...), nil
}

func (codec) AppendTransmission(dst []byte, msg string) ([]byte, error) {
	return append(dst, msg...), nil
}

// appendError renders pusher:error; code 0 is written as null (errors
// that do not end the connection).
func appendError(dst []byte, code int, msg string) []byte {
	dst = append(dst, `{"event":"pusher:error","data":{"code":`...)
	if code == 0 {
		dst = append(dst, "null"...)
	} else {
		dst = strconv.AppendInt(dst, int64(code), 10)
	}
	dst = append(dst, `,"message":`...)
	dst = jsonkit.AppendString(dst, msg)
	return append(dst, "}}"...)
}

// appendSubscriptionError renders pusher:subscription_error for a channel
// (pusher-js and Laravel Echo's error callbacks hear it on the channel).
func appendSubscriptionError(dst []byte, channel, typ, msg string, status int) []byte {
	dst = append(dst, `{"event":"pusher:subscription_error"`...)
	dst = appendChannel(dst, channel)
	dst = append(dst, `,"data":{"type":`...)
	dst = jsonkit.AppendString(dst, typ)
	dst = append(dst, `,"error":`...)
	dst = jsonkit.AppendString(dst, msg)
	dst = append(dst, `,"status":`...)
	dst = strconv.AppendInt(dst, int64(status), 10)
	return append(dst, "}}"...)
}

func appendChannel(dst []byte, channel string) []byte {
	if channel == "" {
		return dst
	}
	dst = append(dst, `,"channel":`...)
	return jsonkit.AppendString(dst, channel)
}

// appendJSONString writes JSON text as a JSON string (Pusher's data
// fields carry JSON inside a string).
func appendJSONString(dst, text []byte) []byte { return jsonkit.AppendString(dst, text) }

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func quote(s string) []byte { return jsonkit.AppendString(nil, s) }
