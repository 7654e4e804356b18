package cableproto

import (
	"errors"

	"google.golang.org/protobuf/encoding/protowire"
)

// Protobuf is actioncable-v1-protobuf: action_cable.Message both ways, with
// the `message` field holding a msgpack-encoded payload.
type Protobuf struct{}

func (Protobuf) Name() string        { return "protobuf" }
func (Protobuf) Subprotocol() string { return "actioncable-v1-protobuf" }
func (Protobuf) Binary() bool        { return true }

// action_cable.Message field numbers and enum values.
const (
	pbFieldType       = 1
	pbFieldCommand    = 2
	pbFieldIdentifier = 3
	pbFieldData       = 4
	pbFieldMessage    = 5
)

func pbCommand(name string) uint64 {
	switch name {
	case "subscribe":
		return 1
	case "unsubscribe":
		return 2
	case "message":
		return 3
	case "history":
		return 4
	case "pong":
		return 5
	}
	return 0
}

func (Protobuf) AppendCommand(dst []byte, command, identifier, data string) []byte {
	dst = protowire.AppendTag(dst, pbFieldCommand, protowire.VarintType)
	dst = protowire.AppendVarint(dst, pbCommand(command))
	dst = protowire.AppendTag(dst, pbFieldIdentifier, protowire.BytesType)
	dst = protowire.AppendString(dst, identifier)
	if data != "" {
		dst = protowire.AppendTag(dst, pbFieldData, protowire.BytesType)
		dst = protowire.AppendString(dst, data)
	}
	return dst
}

var errProtobuf = errors.New("cableproto: malformed protobuf")

func (Protobuf) ParseReply(b []byte, r *Reply) error {
	*r = Reply{}
	var message []byte
	hasMessage := false
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return errProtobuf
		}
		b = b[n:]
		switch {
		case num == pbFieldType && typ == protowire.VarintType:
			v, m := protowire.ConsumeVarint(b)
			if m < 0 {
				return errProtobuf
			}
			b = b[m:]
			r.Kind = pbKind(uint64(uint32(v))) // an enum is an int32: the wire value is truncated
		case num == pbFieldMessage && typ == protowire.BytesType:
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return errProtobuf
			}
			b = b[m:]
			message, hasMessage = v, true
		default:
			m := protowire.ConsumeFieldValue(num, typ, b)
			if m < 0 {
				return errProtobuf
			}
			b = b[m:]
		}
	}
	if hasMessage {
		if err := parseMsgpackBenchMessage(message, r); err != nil {
			return err
		}
		if r.Kind == KindUnknown {
			r.Kind = KindMessage
		}
	}
	return nil
}

func pbKind(v uint64) Kind {
	switch v {
	case 0:
		return KindUnknown
	case 1:
		return KindWelcome
	case 2:
		return KindDisconnect
	case 3:
		return KindPing
	case 4:
		return KindConfirm
	case 5:
		return KindReject
	}
	return KindOther
}
