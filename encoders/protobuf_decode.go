package encoders

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
)

// Client commands arrive as action_cable.Message in both Protobuf flavours
// (that is what @anycable/protobuf-encoder sends, for v1 and the extended
// protocol alike). The wire is read with protowire rather than proto.Unmarshal
// into acpb.Message: the result lands straight in Message without an
// intermediate struct, a field's presence can be told from its absence, and
// no length is trusted beyond the input. The fuzz tests hold it to
// proto.Unmarshal's verdict. It is stricter in a few places: a known field
// with the wrong wire type, an unknown enum number and a negative offset are
// errors.

var (
	errProtoWireType = errors.New("protobuf: wrong wire type")
	errProtoUTF8     = errors.New("protobuf: string field is not valid UTF-8")
	errProtoEnum     = errors.New("protobuf: unknown enum value")
	errProtoRange    = errors.New("protobuf: value out of range")
)

// Field numbers of action_cable.Message, HistoryRequest and
// StreamHistoryRequest (action_cable.proto).
const (
	pbMsgType       protowire.Number = 1
	pbMsgCommand    protowire.Number = 2
	pbMsgIdentifier protowire.Number = 3
	pbMsgData       protowire.Number = 4
	pbMsgMessage    protowire.Number = 5
	pbMsgReason     protowire.Number = 6
	pbMsgReconnect  protowire.Number = 7
	pbMsgHistory    protowire.Number = 8

	pbHistSince   protowire.Number = 1
	pbHistStreams protowire.Number = 2

	pbMapKey   protowire.Number = 1
	pbMapValue protowire.Number = 2

	pbPosEpoch  protowire.Number = 2
	pbPosOffset protowire.Number = 3
)

type pbField struct {
	num protowire.Number
	typ protowire.Type
	// varint value or bytes value, depending on typ
	v uint64
	b []byte
}

// nextField consumes one field. Fields this package does not know are
// skipped and reported with num 0.
func nextField(b []byte, want func(protowire.Number) (protowire.Type, bool)) (pbField, []byte, error) {
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 {
		return pbField{}, nil, fmt.Errorf("protobuf: %w", protowire.ParseError(n))
	}
	if !num.IsValid() {
		return pbField{}, nil, fmt.Errorf("protobuf: invalid field number %d", num)
	}
	b = b[n:]
	wantTyp, known := want(num)
	if !known {
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return pbField{}, nil, fmt.Errorf("protobuf: field %d: %w", num, protowire.ParseError(n))
		}
		return pbField{}, b[n:], nil
	}
	if typ != wantTyp {
		return pbField{}, nil, fmt.Errorf("%w %d for field %d", errProtoWireType, typ, num)
	}
	f := pbField{num: num, typ: typ}
	switch typ {
	case protowire.VarintType:
		f.v, n = protowire.ConsumeVarint(b)
	default:
		f.b, n = protowire.ConsumeBytes(b)
	}
	if n < 0 {
		return pbField{}, nil, fmt.Errorf("protobuf: field %d: %w", num, protowire.ParseError(n))
	}
	return f, b[n:], nil
}

func messageFieldType(num protowire.Number) (protowire.Type, bool) {
	switch num {
	case pbMsgType, pbMsgCommand, pbMsgReconnect:
		return protowire.VarintType, true
	case pbMsgIdentifier, pbMsgData, pbMsgMessage, pbMsgReason, pbMsgHistory:
		return protowire.BytesType, true
	}
	return 0, false
}

func historyFieldType(num protowire.Number) (protowire.Type, bool) {
	switch num {
	case pbHistSince:
		return protowire.VarintType, true
	case pbHistStreams:
		return protowire.BytesType, true
	}
	return 0, false
}

func mapEntryFieldType(num protowire.Number) (protowire.Type, bool) {
	if num == pbMapKey || num == pbMapValue {
		return protowire.BytesType, true
	}
	return 0, false
}

func positionFieldType(num protowire.Number) (protowire.Type, bool) {
	switch num {
	case pbPosEpoch:
		return protowire.BytesType, true
	case pbPosOffset:
		return protowire.VarintType, true
	}
	return 0, false
}

type pbDecoder struct {
	a arena
}

func (d *pbDecoder) str(b []byte) (string, error) {
	if !utf8.Valid(b) {
		return "", errProtoUTF8
	}
	return d.a.copyString(b), nil
}

func decodeProtobufCommand(b []byte, m *Message) error {
	m.Reset()
	d := pbDecoder{a: newArena(len(b) + len(b)/2)}
	var payload []byte
	for len(b) > 0 {
		f, rest, err := nextField(b, messageFieldType)
		if err != nil {
			return err
		}
		b = rest
		switch f.num {
		case pbMsgType:
			if f.v > protoTypeMax {
				return fmt.Errorf("%w: type %d", errProtoEnum, f.v)
			}
		case pbMsgCommand:
			if f.v > protoCommandMax {
				return fmt.Errorf("%w: command %d", errProtoEnum, f.v)
			}
			m.Command = protoCommandNames[f.v]
		case pbMsgIdentifier:
			if m.Identifier, err = d.str(f.b); err != nil {
				return err
			}
		case pbMsgData:
			if m.Data, err = d.str(f.b); err != nil {
				return err
			}
			m.DataIsString = true
		case pbMsgMessage:
			payload = f.b
		case pbMsgReason:
			if !utf8.Valid(f.b) {
				return errProtoUTF8
			}
		case pbMsgHistory:
			if m.History == nil {
				m.History = &HistoryRequest{}
			}
			if err := d.history(f.b, m.History); err != nil {
				return err
			}
		}
	}
	if len(payload) > 0 {
		return d.payload(payload, m)
	}
	return nil
}

// payload applies Message.message (msgpack) to m; see protobuf_enums.go.
// Only the commands that take a non-string payload read it; for the others
// (message data must be the JSON string in Message.data) it is ignored like
// an unknown field, which keeps the common path free of a conversion.
func (d *pbDecoder) payload(p []byte, m *Message) error {
	md := mpDecoder{r: mpReader{b: p}, a: d.a}
	defer func() { d.a = md.a }()
	var err error
	switch {
	case m.Command == CommandJoin:
		err = md.presence(m)
	case (m.Command == CommandWhisper || m.Command == CommandPresence) && !m.DataIsString:
		err = md.jsonValue(&m.RawData)
	default:
		return nil
	}
	if err == nil && md.r.i != len(p) {
		err = fmt.Errorf("msgpack: %d trailing bytes in message", len(p)-md.r.i)
	}
	if err != nil {
		return fmt.Errorf("protobuf: message field: %w", err)
	}
	return nil
}

func (d *pbDecoder) history(b []byte, h *HistoryRequest) error {
	for len(b) > 0 {
		f, rest, err := nextField(b, historyFieldType)
		if err != nil {
			return err
		}
		b = rest
		switch f.num {
		case pbHistSince:
			h.Since = int64(f.v)
		case pbHistStreams:
			if h.Streams == nil {
				h.Streams = make(map[string]StreamPosition)
			}
			if err := d.streamEntry(f.b, h.Streams); err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *pbDecoder) streamEntry(b []byte, streams map[string]StreamPosition) error {
	var (
		name string
		pos  StreamPosition
	)
	for len(b) > 0 {
		f, rest, err := nextField(b, mapEntryFieldType)
		if err != nil {
			return err
		}
		b = rest
		switch f.num {
		case pbMapKey:
			if name, err = d.str(f.b); err != nil {
				return err
			}
		case pbMapValue:
			// Repeated value fields of one entry merge, as in proto.Unmarshal.
			if err := d.position(f.b, &pos); err != nil {
				return err
			}
		}
	}
	streams[name] = pos
	return nil
}

func (d *pbDecoder) position(b []byte, pos *StreamPosition) error {
	for len(b) > 0 {
		f, rest, err := nextField(b, positionFieldType)
		if err != nil {
			return err
		}
		b = rest
		switch f.num {
		case pbPosEpoch:
			if pos.Epoch, err = d.str(f.b); err != nil {
				return err
			}
		case pbPosOffset:
			if int64(f.v) < 0 {
				return fmt.Errorf("%w: negative offset", errProtoRange)
			}
			pos.Offset = f.v
		}
	}
	return nil
}
