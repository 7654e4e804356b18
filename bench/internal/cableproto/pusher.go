package cableproto

import "github.com/densecable/densecable/encoders/jsonkit"

// Pusher is the Pusher Channels protocol (densecable's /app/KEY), so that
// the load generator can hold Pusher connections next to Action Cable ones.
// The identifier is the channel name; events whose data is an object with
// the benchmark action count like Action Cable data messages.
type Pusher struct{}

func (Pusher) Name() string        { return "pusher" }
func (Pusher) Subprotocol() string { return "" }
func (Pusher) Binary() bool        { return false }

// AppendCommand encodes subscribe and unsubscribe (the only commands a
// public-channel client sends).
func (Pusher) AppendCommand(dst []byte, command, identifier, _ string) []byte {
	dst = append(dst, `{"event":"pusher:`...)
	dst = append(dst, command...)
	dst = append(dst, `","data":{"channel":`...)
	dst = jsonkit.AppendString(dst, identifier)
	return append(dst, "}}"...)
}

func (Pusher) ParseReply(b []byte, r *Reply) error {
	*r = Reply{}
	var data []byte
	err := eachJSONField(b, func(key, val []byte) error {
		switch string(key) {
		case "event":
			if s, ok := jsonPlainString(val); ok {
				r.Kind = pusherKind(s)
			}
		case "data":
			data = val
		}
		return nil
	})
	if err != nil {
		return err
	}
	if r.Kind == KindMessage && len(data) > 0 && data[0] == '{' {
		return parseJSONBenchMessage(data, r)
	}
	return nil
}

func pusherKind(event []byte) Kind {
	switch string(event) {
	case "pusher:connection_established":
		return KindWelcome
	case "pusher:ping":
		return KindPing
	case "pusher_internal:subscription_succeeded":
		return KindConfirm
	case "pusher:subscription_error":
		return KindReject
	case "pusher:error":
		return KindDisconnect
	}
	if len(event) > 7 && string(event[:7]) == "pusher:" || len(event) > 16 && string(event[:16]) == "pusher_internal:" {
		return KindOther
	}
	return KindMessage
}
