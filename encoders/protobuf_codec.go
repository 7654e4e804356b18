package encoders

import (
	"fmt"

	"github.com/densecable/densecable/encoders/jsonkit"
	"google.golang.org/protobuf/encoding/protowire"
)

// protobufCodec is the Protobuf flavour. Clients always send
// action_cable.Message. The server answers with action_cable.Message on
// actioncable-v1-protobuf (ext=false), which has no sid, stream_id, epoch,
// offset or restored fields, and with action_cable.Reply on
// actioncable-v1-ext-protobuf (ext=true). The `message` payload is msgpack
// inside the bytes field (see the docs' binary_formats page).
//
// Frames are written with protowire in field-number order, the layout
// proto.Marshal produces, straight into the caller's buffer.
type protobufCodec struct {
	ext bool
}

// NewProtobuf returns the encoder for actioncable-v1-protobuf.
func NewProtobuf() Encoder { return protobufCodec{} }

// NewProtobufExt returns the encoder for actioncable-v1-ext-protobuf.
func NewProtobufExt() Encoder { return protobufCodec{ext: true} }

func (c protobufCodec) ID() string {
	if c.ext {
		return "protobuf_ext"
	}
	return "protobuf"
}

func (protobufCodec) FrameType() FrameType { return BinaryFrame }

func (protobufCodec) Decode(b []byte, m *Message) error { return decodeProtobufCommand(b, m) }

// Field numbers of the server's frames: action_cable.Message for v1,
// action_cable.Reply for ext (0 = the schema has no such field).
type pbReplyFields struct {
	typ, identifier, message, reason, reconnect         protowire.Number
	streamID, epoch, offset, sid, restored, restoredIDs protowire.Number
}

var (
	pbV1Fields  = pbReplyFields{typ: 1, identifier: 3, message: 5, reason: 6, reconnect: 7}
	pbExtFields = pbReplyFields{typ: 1, identifier: 2, message: 3, reason: 4, reconnect: 5,
		streamID: 6, epoch: 7, offset: 8, sid: 9, restored: 10, restoredIDs: 11}
)

func (c protobufCodec) fields() *pbReplyFields {
	if c.ext {
		return &pbExtFields
	}
	return &pbV1Fields
}

func (c protobufCodec) AppendReply(dst []byte, r *Reply) ([]byte, error) {
	t, ok := protoTypeNumber(r.Type)
	if !ok {
		return dst, fmt.Errorf("encoders: reply type %q has no protobuf value", r.Type)
	}
	return c.appendReply(dst, r, t)
}

func (c protobufCodec) appendReply(dst []byte, r *Reply, typ uint64) ([]byte, error) {
	f := c.fields()
	dst = growForReply(dst, r)
	start := len(dst)
	dst = appendPBVarint(dst, f.typ, typ)
	dst = appendPBString(dst, f.identifier, r.Identifier)
	if len(r.Message) > 0 {
		var err error
		if dst, err = appendPBMsgpack(dst, f.message, r.Message); err != nil {
			return dst[:start], err
		}
	}
	dst = appendPBString(dst, f.reason, r.Reason)
	dst = appendPBBool(dst, f.reconnect, r.Reconnect)
	if !c.ext {
		return dst, nil
	}
	dst = appendPBString(dst, f.streamID, r.StreamID)
	dst = appendPBString(dst, f.epoch, r.Epoch)
	dst = appendPBVarint(dst, f.offset, r.Offset)
	dst = appendPBString(dst, f.sid, r.Sid)
	dst = appendPBBool(dst, f.restored, r.Restored)
	for _, id := range r.RestoredIDs {
		// Repeated fields keep empty elements.
		dst = protowire.AppendString(protowire.AppendTag(dst, f.restoredIDs, protowire.BytesType), id)
	}
	return dst, nil
}

// AppendDisconnect writes type, reason and reconnect; proto3 has no way to
// tell reconnect=false from absent.
func (c protobufCodec) AppendDisconnect(dst []byte, reason string, reconnect bool) ([]byte, error) {
	f := c.fields()
	dst = appendPBVarint(dst, f.typ, 2)
	dst = appendPBString(dst, f.reason, reason)
	return appendPBBool(dst, f.reconnect, reconnect), nil
}

// AppendPing writes type ping with the timestamp as a msgpack integer.
func (c protobufCodec) AppendPing(dst []byte, ts int64) ([]byte, error) {
	f := c.fields()
	dst = appendPBVarint(dst, f.typ, 3)
	var mp [9]byte
	return protowire.AppendBytes(protowire.AppendTag(dst, f.message, protowire.BytesType), appendMsgpackInt(mp[:0], ts)), nil
}

// AppendTransmission maps the application's JSON object onto the frame's
// fields (unknown keys are dropped; a type with no number becomes no_type).
func (c protobufCodec) AppendTransmission(dst []byte, msg string) ([]byte, error) {
	var r Reply
	if err := parseTransmission(msg, &r); err != nil {
		return dst, err
	}
	t, _ := protoTypeNumber(r.Type)
	return c.appendReply(dst, &r, t)
}

func appendPBVarint(dst []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return dst
	}
	return protowire.AppendVarint(protowire.AppendTag(dst, num, protowire.VarintType), v)
}

func appendPBBool(dst []byte, num protowire.Number, v bool) []byte {
	if !v {
		return dst
	}
	return append(protowire.AppendTag(dst, num, protowire.VarintType), 1)
}

func appendPBString(dst []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return dst
	}
	return protowire.AppendString(protowire.AppendTag(dst, num, protowire.BytesType), s)
}

// appendPBMsgpack writes a bytes field holding the msgpack form of the JSON
// value. The msgpack is written in place after a one-byte length, which is
// widened afterwards if the value turned out to be 128 bytes or longer.
func appendPBMsgpack(dst []byte, num protowire.Number, jsonText []byte) ([]byte, error) {
	dst = protowire.AppendTag(dst, num, protowire.BytesType)
	pos := len(dst)
	dst = append(dst, 0)
	dst, err := appendMsgpackFromJSON(dst, jsonkit.BytesView(jsonText))
	if err != nil {
		return dst, err
	}
	n := len(dst) - pos - 1
	k := protowire.SizeVarint(uint64(n))
	if k > 1 {
		var pad [9]byte
		dst = append(dst, pad[:k-1]...)
		copy(dst[pos+k:], dst[pos+1:pos+1+n])
	}
	protowire.AppendVarint(dst[:pos], uint64(n))
	return dst, nil
}
