// Package encoders turns WebSocket payloads into protocol-neutral commands and
// server replies into payload bytes, for every Action Cable flavour densecable
// speaks (JSON, Msgpack, Protobuf; v1 and the extended protocol).
//
// Nothing here touches sockets: the poller hands a complete, unmasked message
// to Decode, and the fanout and sessions hand replies to Append*.
package encoders

// FrameType is the WebSocket opcode class an encoder's payloads travel in.
type FrameType uint8

const (
	TextFrame FrameType = iota
	BinaryFrame
)

// Message is a command a client sent, independent of the wire format.
type Message struct {
	// Command is the command name: subscribe, unsubscribe, message, history,
	// pong, ping, whisper, join, leave, presence (or anything else the client
	// sent; unknown names are rejected by sessions, not here).
	Command    string
	Identifier string
	// Data is the `data` field when the client sent a string (Action Cable
	// `message` commands always do). Empty when absent.
	Data string
	// RawData is the `data` field as JSON text when it was not a string
	// (whisper objects, presence options); nil when absent or a string.
	// For binary formats it is the payload re-encoded as JSON.
	RawData []byte
	// DataIsString reports whether `data` was present as a string.
	DataIsString bool
	History      *HistoryRequest
	Presence     *PresenceRequest
	// Then is a command to run right after this one, for protocols whose
	// one message is two core commands (GraphQL's subscribe: subscribe,
	// then perform). Action Cable's decoders never set it.
	Then *Message
}

// Reset clears m for reuse without dropping its allocations where possible.
func (m *Message) Reset() { *m = Message{} }

// HistoryRequest is the extended protocol's history request.
type HistoryRequest struct {
	// Since is a Unix time in seconds; 0 means not given.
	Since   int64
	Streams map[string]StreamPosition
}

// StreamPosition is a client's last seen position in one stream.
type StreamPosition struct {
	Epoch  string
	Offset uint64
}

// PresenceRequest is the `presence` field of join/subscribe commands.
type PresenceRequest struct {
	ID string
	// Info is the info value as JSON text (object, string, ...); nil if absent.
	Info []byte
}

// Reply is a message from the server. Message holds JSON text (already
// normalised: see BroadcastPayload); it is copied verbatim into JSON output and
// converted for binary formats.
type Reply struct {
	Type        string
	Identifier  string
	Message     []byte // JSON text or nil
	Reason      string
	Reconnect   bool
	StreamID    string
	Epoch       string
	Offset      uint64
	Sid         string
	Restored    bool
	RestoredIDs []string
}

// Encoder is one wire format. Implementations are stateless and safe for
// concurrent use. Append* methods append to dst and return the extended slice
// so that callers can reuse buffers (no allocation on the broadcast path once
// dst has capacity).
type Encoder interface {
	// ID names the format: "json", "msgpack", "protobuf" or "protobuf_ext"
	// (the extended Protobuf flavour writes a different reply message, so
	// caches keyed by encoding must tell them apart).
	ID() string
	FrameType() FrameType
	// Decode parses one client message into m (m is reset first). It never
	// panics and never allocates more than a small multiple of len(b).
	Decode(b []byte, m *Message) error
	// AppendReply encodes a reply (welcome, confirm, data message, ...).
	AppendReply(dst []byte, r *Reply) ([]byte, error)
	// AppendDisconnect encodes {"type":"disconnect","reason":..,"reconnect":..}
	// where reconnect is always present.
	AppendDisconnect(dst []byte, reason string, reconnect bool) ([]byte, error)
	// AppendPing encodes {"type":"ping","message":ts}.
	AppendPing(dst []byte, ts int64) ([]byte, error)
	// AppendTransmission re-encodes a transmission an RPC application sent as
	// JSON text. The JSON encoder copies it byte for byte.
	AppendTransmission(dst []byte, msg string) ([]byte, error)
}
