package minicable

import (
	"encoding/json"
	"errors"

	"github.com/gobwas/ws"
	"github.com/vmihailenco/msgpack/v5"
	"google.golang.org/protobuf/proto"

	"github.com/densecable/densecable/encoders/acpb"
)

type command struct {
	Command    string `json:"command" msgpack:"command"`
	Identifier string `json:"identifier" msgpack:"identifier"`
	Data       string `json:"data" msgpack:"data"`
}

type codec interface {
	decode([]byte) (command, error)
	encode(map[string]any) ([]byte, ws.OpCode, error)
}

var codecs = map[string]codec{
	"actioncable-v1-json":     jsonCodec{},
	"actioncable-v1-msgpack":  msgpackCodec{},
	"actioncable-v1-protobuf": protobufCodec{},
}

type jsonCodec struct{}

func (jsonCodec) decode(b []byte) (c command, err error) {
	err = json.Unmarshal(b, &c)
	return c, err
}

func (jsonCodec) encode(m map[string]any) ([]byte, ws.OpCode, error) {
	b, err := json.Marshal(m)
	return b, ws.OpText, err
}

type msgpackCodec struct{}

func (msgpackCodec) decode(b []byte) (c command, err error) {
	err = msgpack.Unmarshal(b, &c)
	return c, err
}

func (msgpackCodec) encode(m map[string]any) ([]byte, ws.OpCode, error) {
	b, err := msgpack.Marshal(m)
	return b, ws.OpBinary, err
}

type protobufCodec struct{}

func (protobufCodec) decode(b []byte) (command, error) {
	var m acpb.Message
	if err := proto.Unmarshal(b, &m); err != nil {
		return command{}, err
	}
	name, ok := map[acpb.Command]string{
		acpb.Command_subscribe: "subscribe", acpb.Command_unsubscribe: "unsubscribe", acpb.Command_message: "message",
	}[m.Command]
	if !ok {
		return command{}, errors.New("unsupported protobuf command")
	}
	return command{Command: name, Identifier: m.Identifier, Data: m.Data}, nil
}

func (protobufCodec) encode(m map[string]any) ([]byte, ws.OpCode, error) {
	out := &acpb.Message{}
	if id, ok := m["identifier"].(string); ok {
		out.Identifier = id
	}
	if t, ok := m["type"].(string); ok {
		out.Type = acpb.Type(acpb.Type_value[t])
	}
	if reason, ok := m["reason"].(string); ok {
		out.Reason = reason
	}
	if msg, ok := m["message"]; ok {
		b, err := msgpack.Marshal(msg)
		if err != nil {
			return nil, 0, err
		}
		out.Message = b
	}
	b, err := proto.Marshal(out)
	return b, ws.OpBinary, err
}
