package encoders

import "github.com/densecable/densecable/encoders/acpb"

// Protobuf enum mapping.
//
// action_cable.proto numbers Type 0..7 (no_type .. reject_history) and
// Command 0..5 (unknown_command .. pong). The extended protocol has replies
// and commands with no documented number, and the reference leaves them open.
// densecable extends both enums past the documented values (proto3 enums are
// open, so a client built from the documented schema still decodes the frame
// and sees the bare number):
//
//	Command 6  whisper   (the number @anycable/protobuf-encoder's own schema uses)
//	Command 7  join
//	Command 8  leave
//	Command 9  presence
//	Command 10 ping
//	Type    8  pong
//	Type    9  presence
//
// Client payloads that are not strings travel in Message.message (msgpack):
// for join it is the presence map {id, info}; for whisper and presence it is
// the command's data (whisper payload, presence options), handed to sessions
// as RawData JSON unless Message.data (a JSON string) is also present. Other
// commands ignore it. A subscribe cannot carry presence over Protobuf (there
// is no field for it).
//
// Data messages (broadcasts, app transmissions without a type) use no_type.
// Transmissions whose type has no number also go out as no_type; replies
// built by the server with such a type are an error (a programming mistake).

const (
	protoTypePong     = 8
	protoTypePresence = 9
	protoTypeMax      = protoTypePresence

	protoCommandWhisper  = 6
	protoCommandJoin     = 7
	protoCommandLeave    = 8
	protoCommandPresence = 9
	protoCommandPing     = 10
	protoCommandMax      = protoCommandPing
)

// protoCommandNames maps a Command number to its name ("" for 0).
var protoCommandNames = [protoCommandMax + 1]string{
	int(acpb.Command_unknown_command): "",
	int(acpb.Command_subscribe):       CommandSubscribe,
	int(acpb.Command_unsubscribe):     CommandUnsubscribe,
	int(acpb.Command_message):         CommandMessage,
	int(acpb.Command_history):         CommandHistory,
	int(acpb.Command_pong):            CommandPong,
	protoCommandWhisper:               CommandWhisper,
	protoCommandJoin:                  CommandJoin,
	protoCommandLeave:                 CommandLeave,
	protoCommandPresence:              CommandPresence,
	protoCommandPing:                  CommandPing,
}

// protoTypeNumber maps a reply type to its Type number.
func protoTypeNumber(t string) (uint64, bool) {
	switch t {
	case "":
		return uint64(acpb.Type_no_type), true
	case "welcome":
		return uint64(acpb.Type_welcome), true
	case "disconnect":
		return uint64(acpb.Type_disconnect), true
	case "ping":
		return uint64(acpb.Type_ping), true
	case "confirm_subscription":
		return uint64(acpb.Type_confirm_subscription), true
	case "reject_subscription":
		return uint64(acpb.Type_reject_subscription), true
	case "confirm_history":
		return uint64(acpb.Type_confirm_history), true
	case "reject_history":
		return uint64(acpb.Type_reject_history), true
	case "pong":
		return protoTypePong, true
	case "presence":
		return protoTypePresence, true
	}
	return 0, false
}
