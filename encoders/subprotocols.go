package encoders

// Subprotocols lists the WebSocket sub-protocols densecable speaks, in the
// server's preference order: the first entry of this list that the client
// also offered is selected, whatever order the client used.
var Subprotocols = []string{
	"actioncable-v1-json",
	"actioncable-v1-ext-json",
	"actioncable-v1-msgpack",
	"actioncable-v1-ext-msgpack",
	"actioncable-v1-protobuf",
	"actioncable-v1-ext-protobuf",
}

// The encoders are stateless; one value of each serves every connection.
var (
	jsonEncoder        = NewJSON()
	msgpackEncoder     = NewMsgpack()
	protobufEncoder    = NewProtobuf()
	protobufExtEncoder = NewProtobufExt()
)

// ForSubprotocol returns the encoder for a negotiated sub-protocol and whether
// it is the extended protocol. "" (no sub-protocol) means plain Action Cable
// JSON. ok is false for names not in Subprotocols.
func ForSubprotocol(name string) (enc Encoder, extended bool, ok bool) {
	switch name {
	case "", "actioncable-v1-json":
		return jsonEncoder, false, true
	case "actioncable-v1-ext-json":
		return jsonEncoder, true, true
	case "actioncable-v1-msgpack":
		return msgpackEncoder, false, true
	case "actioncable-v1-ext-msgpack":
		return msgpackEncoder, true, true
	case "actioncable-v1-protobuf":
		return protobufEncoder, false, true
	case "actioncable-v1-ext-protobuf":
		return protobufExtEncoder, true, true
	}
	return nil, false, false
}
