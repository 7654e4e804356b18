package pusher

// Pusher's error codes (pusher:error data.code and close codes).
const (
	CodeAppNotFound        = 4001 // wrong app key
	CodeInvalidVersion     = 4006 // protocol parameter is not an integer
	CodeUnsupportedVersion = 4007 // protocol version outside 5..7
	CodeUnauthorized       = 4009
	CodeOverCapacity       = 4100
	CodeReconnect          = 4200
	CodeNoPong             = 4201
	CodeClientEventRate    = 4301
)

// Reasons the core (and AuthorizeConnect) disconnect with, and the code
// pusher:error carries for each.
var reasonCodes = map[string]int{
	reasonAppNotFound:        CodeAppNotFound,
	reasonInvalidVersion:     CodeInvalidVersion,
	reasonUnsupportedVersion: CodeUnsupportedVersion,
	"unauthorized":           CodeUnauthorized,
	"too_many_requests":      CodeClientEventRate,
	"too_slow":               CodeOverCapacity,
	"server_restart":         CodeReconnect,
	"no_pong":                CodeNoPong,
}

const (
	reasonAppNotFound        = "Application does not exist"
	reasonInvalidVersion     = "Invalid version string format"
	reasonUnsupportedVersion = "Unsupported protocol version"
)

// Versions of the protocol served (pusher-js sends protocol=7).
const (
	minVersion = 5
	maxVersion = 7
)

// Bounds on client input (Pusher's own limits).
const (
	maxChannelName = 200
	maxEventName   = 200
	// maxClientEventData bounds a client event's data (Pusher: 10 KB).
	maxClientEventData = 10 << 10
)
