package frames

import "github.com/gobwas/ws"

// Framer wraps one encoded message for a transport's wire: a WebSocket
// frame here; an SSE transport writes a "data:" event. Framers are
// stateless, comparable values shared by every connection of a transport
// kind, so that a broadcast is framed once per (encoding, framer) and the
// bytes are shared by every subscriber.
type Framer interface {
	// AppendFrame appends payload as one message; binary says the codec's
	// output is binary (a WebSocket binary frame; base64 for text-only
	// transports).
	AppendFrame(dst, payload []byte, binary bool) []byte
	// FrameSize is how long the framed payload of n bytes is (the exact
	// capacity to allocate).
	FrameSize(n int) int
}

// Unframed passes payloads through, for transports whose encoder writes
// the wire bytes itself (SSE events, a Durable Streams body, a Driver's
// broadcasts). Every call returns the same value.
func Unframed() Framer { return unframed }

// IsUnframed reports whether f adds nothing to a payload: a payload
// rendered for one send is then its own frame, with no copy.
func IsUnframed(f Framer) bool { return f == unframed }

var unframed = &passThrough{}

type passThrough struct{}

func (*passThrough) AppendFrame(dst, payload []byte, _ bool) []byte { return append(dst, payload...) }
func (*passThrough) FrameSize(n int) int                            { return n }

// WebSocketFramer frames messages as unmasked server WebSocket frames. Every
// call returns the same value.
func WebSocketFramer() Framer { return webSocket }

// webSocket is a pointer so that comparing framers (once per subscriber of
// every broadcast) is a pointer comparison, not a call. It has no state.
var webSocket = &wsFramer{}

type wsFramer struct{}

func (*wsFramer) AppendFrame(dst, payload []byte, binary bool) []byte {
	return AppendFrame(dst, dataOp(binary), payload)
}

// dataOp is the opcode of a data message.
func dataOp(binary bool) ws.OpCode {
	if binary {
		return ws.OpBinary
	}
	return ws.OpText
}

func (*wsFramer) FrameSize(n int) int { return FrameSize(n) }
