package frames

import (
	"encoding/binary"

	"github.com/gobwas/ws"
)

// AppendHeader appends an unmasked, final server frame header for a payload
// of n bytes.
func AppendHeader(dst []byte, op ws.OpCode, n int) []byte {
	b0 := 0x80 | byte(op)
	switch {
	case n < 126:
		return append(dst, b0, byte(n))
	case n <= 0xffff:
		return append(dst, b0, 126, byte(n>>8), byte(n))
	default:
		dst = append(dst, b0, 127)
		return binary.BigEndian.AppendUint64(dst, uint64(n))
	}
}

// AppendFrame appends a complete server frame carrying payload.
func AppendFrame(dst []byte, op ws.OpCode, payload []byte) []byte {
	dst = AppendHeader(dst, op, len(payload))
	return append(dst, payload...)
}

// AppendClose appends a close frame with code and reason (reason is cut to
// fit the 125-byte control frame limit).
func AppendClose(dst []byte, code uint16, reason string) []byte {
	if len(reason) > 123 {
		reason = reason[:123]
	}
	if code == CloseNoStatus || code == 0 {
		return AppendHeader(dst, ws.OpClose, 0)
	}
	dst = AppendHeader(dst, ws.OpClose, 2+len(reason))
	dst = binary.BigEndian.AppendUint16(dst, code)
	return append(dst, reason...)
}

// FrameSize is the size of a server frame for a payload of n bytes.
func FrameSize(n int) int {
	switch {
	case n < 126:
		return n + 2
	case n <= 0xffff:
		return n + 4
	default:
		return n + 10
	}
}
