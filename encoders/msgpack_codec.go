package encoders

import "github.com/densecable/densecable/encoders/jsonkit"

// msgpackCodec is the Msgpack flavour (actioncable-v1-msgpack and
// actioncable-v1-ext-msgpack): every frame is a binary msgpack map holding
// the same keys as the JSON protocol. The `message` payload travels as native
// msgpack values (maps, arrays, strings, numbers), not as JSON text.
//
// Encoding and decoding are hand-rolled over byte slices (see msgpack_read.go
// and msgpack_write.go) instead of going through
// github.com/vmihailenco/msgpack/v5's reflection, so that the broadcast path
// appends into a reused buffer without allocating and a forged length can
// never size an allocation. The tests check every output with that library.
type msgpackCodec struct{}

// NewMsgpack returns the Msgpack encoder.
func NewMsgpack() Encoder { return msgpackCodec{} }

func (msgpackCodec) ID() string           { return "msgpack" }
func (msgpackCodec) FrameType() FrameType { return BinaryFrame }

func (msgpackCodec) Decode(b []byte, m *Message) error { return decodeMsgpackCommand(b, m) }

// AppendReply writes a map of the reply's non-empty fields, keys in the same
// order as the JSON encoder.
func (msgpackCodec) AppendReply(dst []byte, r *Reply) ([]byte, error) {
	dst = growForReply(dst, r)
	start := len(dst)
	dst = appendMsgpackMapHeader(dst, msgpackReplyFields(r))
	if r.Type != "" {
		dst = appendMsgpackString(appendMsgpackString(dst, "type"), r.Type)
	}
	if r.Identifier != "" {
		dst = appendMsgpackString(appendMsgpackString(dst, "identifier"), r.Identifier)
	}
	if len(r.Message) > 0 {
		var err error
		if dst, err = appendMsgpackFromJSON(appendMsgpackString(dst, "message"), jsonkit.BytesView(r.Message)); err != nil {
			return dst[:start], err
		}
	}
	if r.Reason != "" {
		dst = appendMsgpackString(appendMsgpackString(dst, "reason"), r.Reason)
	}
	if r.Reconnect {
		dst = appendMsgpackBool(appendMsgpackString(dst, "reconnect"), true)
	}
	if r.StreamID != "" {
		dst = appendMsgpackString(appendMsgpackString(dst, "stream_id"), r.StreamID)
	}
	if r.Epoch != "" {
		dst = appendMsgpackString(appendMsgpackString(dst, "epoch"), r.Epoch)
	}
	if r.Offset != 0 {
		dst = appendMsgpackUint(appendMsgpackString(dst, "offset"), r.Offset)
	}
	if r.Sid != "" {
		dst = appendMsgpackString(appendMsgpackString(dst, "sid"), r.Sid)
	}
	if r.Restored {
		dst = appendMsgpackBool(appendMsgpackString(dst, "restored"), true)
	}
	if len(r.RestoredIDs) > 0 {
		dst = appendMsgpackArrayHeader(appendMsgpackString(dst, "restored_ids"), len(r.RestoredIDs))
		for _, id := range r.RestoredIDs {
			dst = appendMsgpackString(dst, id)
		}
	}
	return dst, nil
}

// msgpackReplyFields counts the map entries AppendReply writes.
func msgpackReplyFields(r *Reply) int {
	n := 0
	for _, set := range [...]bool{
		r.Type != "", r.Identifier != "", len(r.Message) > 0, r.Reason != "", r.Reconnect,
		r.StreamID != "", r.Epoch != "", r.Offset != 0, r.Sid != "", r.Restored, len(r.RestoredIDs) > 0,
	} {
		if set {
			n++
		}
	}
	return n
}

// AppendDisconnect always includes reason and reconnect.
func (msgpackCodec) AppendDisconnect(dst []byte, reason string, reconnect bool) ([]byte, error) {
	dst = appendMsgpackMapHeader(dst, 3)
	dst = appendMsgpackString(appendMsgpackString(dst, "type"), "disconnect")
	dst = appendMsgpackString(appendMsgpackString(dst, "reason"), reason)
	return appendMsgpackBool(appendMsgpackString(dst, "reconnect"), reconnect), nil
}

func (msgpackCodec) AppendPing(dst []byte, ts int64) ([]byte, error) {
	dst = appendMsgpackMapHeader(dst, 2)
	dst = appendMsgpackString(appendMsgpackString(dst, "type"), "ping")
	return appendMsgpackInt(appendMsgpackString(dst, "message"), ts), nil
}

// AppendTransmission converts the application's JSON into the equivalent
// msgpack value (every key kept, in order).
func (msgpackCodec) AppendTransmission(dst []byte, msg string) ([]byte, error) {
	return appendMsgpackFromJSON(dst, msg)
}
