package encoders

// Command names a client can send (Action Cable plus the extended protocol).
const (
	CommandSubscribe   = "subscribe"
	CommandUnsubscribe = "unsubscribe"
	CommandMessage     = "message"
	CommandHistory     = "history"
	CommandPong        = "pong"
	CommandPing        = "ping"
	CommandWhisper     = "whisper"
	CommandJoin        = "join"
	CommandLeave       = "leave"
	CommandPresence    = "presence"
)

// internCommand returns a static string for well-known command names so that
// decoding them does not allocate; other names are copied into the arena
// (as valid UTF-8).
func internCommand(b []byte, a *arena) string {
	switch string(b) {
	case CommandSubscribe:
		return CommandSubscribe
	case CommandUnsubscribe:
		return CommandUnsubscribe
	case CommandMessage:
		return CommandMessage
	case CommandHistory:
		return CommandHistory
	case CommandPong:
		return CommandPong
	case CommandPing:
		return CommandPing
	case CommandWhisper:
		return CommandWhisper
	case CommandJoin:
		return CommandJoin
	case CommandLeave:
		return CommandLeave
	case CommandPresence:
		return CommandPresence
	}
	return a.copyValidString(b)
}
