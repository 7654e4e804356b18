package encoders

import (
	"strconv"

	"github.com/densecable/densecable/encoders/jsonkit"
)

// jsonCodec is the Action Cable JSON format (sub-protocols actioncable-v1-json
// and actioncable-v1-ext-json, and connections without a sub-protocol).
type jsonCodec struct{}

// NewJSON returns the Action Cable JSON encoder.
func NewJSON() Encoder { return jsonCodec{} }

func (jsonCodec) ID() string           { return "json" }
func (jsonCodec) FrameType() FrameType { return TextFrame }

func (jsonCodec) Decode(b []byte, m *Message) error { return decodeJSONCommand(b, m) }

// AppendReply writes the reply's non-empty fields in the reference server's
// struct order: type, identifier, message, reason, reconnect, stream_id,
// epoch, offset, sid, restored, restored_ids.
func (jsonCodec) AppendReply(dst []byte, r *Reply) ([]byte, error) {
	return appendJSONReply(dst, r), nil
}

func appendJSONReply(dst []byte, r *Reply) []byte {
	dst = growForReply(dst, r)
	open := len(dst)
	dst = append(dst, '{')
	dst = appendJSONString(dst, open, `"type":`, r.Type)
	dst = appendJSONString(dst, open, `"identifier":`, r.Identifier)
	if len(r.Message) > 0 {
		dst = appendJSONKey(dst, open, `"message":`)
		dst = append(dst, r.Message...)
	}
	dst = appendJSONString(dst, open, `"reason":`, r.Reason)
	if r.Reconnect {
		dst = appendJSONKey(dst, open, `"reconnect":true`)
	}
	dst = appendJSONString(dst, open, `"stream_id":`, r.StreamID)
	dst = appendJSONString(dst, open, `"epoch":`, r.Epoch)
	if r.Offset != 0 {
		dst = appendJSONKey(dst, open, `"offset":`)
		dst = strconv.AppendUint(dst, r.Offset, 10)
	}
	dst = appendJSONString(dst, open, `"sid":`, r.Sid)
	if r.Restored {
		dst = appendJSONKey(dst, open, `"restored":true`)
	}
	if len(r.RestoredIDs) > 0 {
		dst = appendJSONKey(dst, open, `"restored_ids":[`)
		for k, id := range r.RestoredIDs {
			if k > 0 {
				dst = append(dst, ',')
			}
			dst = jsonkit.AppendString(dst, id)
		}
		dst = append(dst, ']')
	}
	return append(dst, '}')
}

// appendJSONString writes the member key (with its comma) and the string v,
// or nothing when v is empty (omitempty).
func appendJSONString(dst []byte, open int, key, v string) []byte {
	if v == "" {
		return dst
	}
	dst = appendJSONKey(dst, open, key)
	return jsonkit.AppendString(dst, v)
}

// appendJSONKey writes a comma unless this is the first member of the object
// opened at dst[open], then the key text.
func appendJSONKey(dst []byte, open int, key string) []byte {
	if len(dst) > open+1 {
		dst = append(dst, ',')
	}
	return append(dst, key...)
}

// AppendDisconnect always writes reason and reconnect (the reference uses a
// struct without omitempty for this message).
func (jsonCodec) AppendDisconnect(dst []byte, reason string, reconnect bool) ([]byte, error) {
	dst = append(dst, `{"type":"disconnect","reason":`...)
	dst = jsonkit.AppendString(dst, reason)
	if reconnect {
		dst = append(dst, `,"reconnect":true}`...)
	} else {
		dst = append(dst, `,"reconnect":false}`...)
	}
	return dst, nil
}

func (jsonCodec) AppendPing(dst []byte, ts int64) ([]byte, error) {
	dst = append(dst, `{"type":"ping","message":`...)
	dst = strconv.AppendInt(dst, ts, 10)
	return append(dst, '}'), nil
}

// AppendTransmission copies the RPC application's JSON byte for byte, as the
// reference does.
func (jsonCodec) AppendTransmission(dst []byte, msg string) ([]byte, error) {
	return append(dst, msg...), nil
}
