// Package cableproto is the client side of the Action Cable wire formats:
// it encodes the commands a client sends (subscribe, message) and picks out
// of server replies only what the load generator counts: the reply kind,
// the benchmark action and the send timestamp carried in the payload.
//
// It is deliberately independent of the server-side codecs, so that
// measuring densecable with it also cross-checks them; only the JSON grammar
// is shared (encoders/jsonkit, itself held to encoding/json by its fuzz
// tests). The parsers never allocate and never panic on malformed input.
package cableproto

import "fmt"

// Kind classifies a server reply.
type Kind uint8

const (
	KindUnknown    Kind = iota
	KindWelcome         // {"type":"welcome"}
	KindPing            // {"type":"ping"}
	KindConfirm         // confirm_subscription
	KindReject          // reject_subscription
	KindDisconnect      // {"type":"disconnect"}
	KindMessage         // a data message: identifier + message, no type
	KindOther           // any other type (pong, confirm_history, presence, ...)
)

// Action is the benchmark action found in a data message's payload
// ({"action":"broadcast",...}).
type Action uint8

const (
	ActionNone Action = iota
	ActionEcho
	ActionBroadcast
	ActionBroadcastResult
	ActionOther
)

// Reply is the summary of one server message.
type Reply struct {
	Kind     Kind
	Action   Action
	SendTime int64 // Unix ns from payload.sendTime; 0 when absent
}

// Codec is one client wire format.
type Codec interface {
	// Name is "json", "msgpack" or "protobuf".
	Name() string
	// Subprotocol is the Sec-WebSocket-Protocol the client offers.
	Subprotocol() string
	// Binary reports whether frames are binary (else text).
	Binary() bool
	// AppendCommand encodes {"command":..,"identifier":..,"data":..};
	// data is omitted when empty.
	AppendCommand(dst []byte, command, identifier, data string) []byte
	// ParseReply summarises one server message into r.
	ParseReply(b []byte, r *Reply) error
}

// ByName returns the codec for an encoding name.
func ByName(name string) (Codec, error) {
	switch name {
	case "json", "":
		return JSON{}, nil
	case "msgpack":
		return Msgpack{}, nil
	case "protobuf":
		return Protobuf{}, nil
	case "pusher":
		return Pusher{}, nil
	case "graphql":
		return GraphQL{}, nil
	}
	return nil, fmt.Errorf("cableproto: unknown encoding %q (want json, msgpack, protobuf, pusher or graphql)", name)
}

// Names lists the supported encodings.
func Names() []string { return []string{"json", "msgpack", "protobuf"} }

func actionOf(v []byte) Action {
	switch string(v) {
	case "echo":
		return ActionEcho
	case "broadcast":
		return ActionBroadcast
	case "broadcastResult":
		return ActionBroadcastResult
	case "":
		return ActionNone
	}
	return ActionOther
}

func kindOfType(v []byte) Kind {
	switch string(v) {
	case "welcome":
		return KindWelcome
	case "ping":
		return KindPing
	case "confirm_subscription":
		return KindConfirm
	case "reject_subscription":
		return KindReject
	case "disconnect":
		return KindDisconnect
	}
	return KindOther
}

// parseDigits reads a non-negative decimal integer; ok is false for anything
// else (including overflow).
func parseDigits(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, n >= 0
}
