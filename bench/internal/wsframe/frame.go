// Package wsframe is the client half of RFC 6455 that the load generator
// needs: building the upgrade request, checking the 101 response, parsing
// server frames and writing masked client frames. Everything works on byte
// slices owned by the caller so that an event loop can drive thousands of
// sockets without a goroutine or buffer per connection.
package wsframe

import (
	"encoding/binary"
	"errors"
)

// Opcodes (RFC 6455 §5.2).
const (
	OpContinuation byte = 0x0
	OpText         byte = 0x1
	OpBinary       byte = 0x2
	OpClose        byte = 0x8
	OpPing         byte = 0x9
	OpPong         byte = 0xA
)

// Frame parsing errors. They all mean the connection must be dropped.
var (
	ErrReservedBits = errors.New("wsframe: reserved bits set")
	ErrBadOpcode    = errors.New("wsframe: unknown opcode")
	ErrBadControl   = errors.New("wsframe: fragmented or oversized control frame")
	ErrMaskedServer = errors.New("wsframe: server frame is masked")
	ErrTooLarge     = errors.New("wsframe: frame larger than the limit")
)

// Frame is one parsed server frame. Payload aliases the input buffer.
type Frame struct {
	Fin     bool
	Op      byte
	Payload []byte
	// Compressed is RSV1 on the first frame of a message (permessage-deflate;
	// only from ParseDeflate).
	Compressed bool
}

// Parse reads one frame from the start of b. It returns the number of bytes
// the frame occupies; n == 0 with a nil error means b holds only part of a
// frame and the caller must read more. maxPayload bounds the payload size.
func Parse(b []byte, maxPayload int) (f Frame, n int, err error) { return parse(b, maxPayload, false) }

// ParseDeflate is Parse on a connection that offered permessage-deflate:
// RSV1 on a text or binary frame marks a compressed message.
func ParseDeflate(b []byte, maxPayload int) (f Frame, n int, err error) {
	return parse(b, maxPayload, true)
}

func parse(b []byte, maxPayload int, deflate bool) (f Frame, n int, err error) {
	if len(b) < 2 {
		return f, 0, nil
	}
	b0, b1 := b[0], b[1]
	f.Fin = b0&0x80 != 0
	f.Op = b0 & 0x0F
	f.Compressed = deflate && b0&0x40 != 0 && (f.Op == OpText || f.Op == OpBinary)
	if b0&0x70 != 0 && !(f.Compressed && b0&0x30 == 0) {
		return f, 0, ErrReservedBits
	}
	switch f.Op {
	case OpContinuation, OpText, OpBinary:
	case OpClose, OpPing, OpPong:
		if !f.Fin || b1&0x7F > 125 {
			return f, 0, ErrBadControl
		}
	default:
		return f, 0, ErrBadOpcode
	}
	if b1&0x80 != 0 {
		return f, 0, ErrMaskedServer
	}
	head := 2
	size := uint64(b1 & 0x7F)
	switch size {
	case 126:
		if len(b) < 4 {
			return f, 0, nil
		}
		size = uint64(binary.BigEndian.Uint16(b[2:4]))
		head = 4
	case 127:
		if len(b) < 10 {
			return f, 0, nil
		}
		size = binary.BigEndian.Uint64(b[2:10])
		head = 10
	}
	if size > uint64(maxPayload) {
		return f, 0, ErrTooLarge
	}
	end := head + int(size)
	if len(b) < end {
		return f, 0, nil
	}
	f.Payload = b[head:end]
	return f, end, nil
}

// AppendFrame appends a complete (FIN) client frame carrying payload, masked
// with key as RFC 6455 requires of clients.
func AppendFrame(dst []byte, op byte, payload []byte, key [4]byte) []byte {
	dst = append(dst, 0x80|op)
	n := len(payload)
	switch {
	case n <= 125:
		dst = append(dst, 0x80|byte(n))
	case n <= 0xFFFF:
		dst = append(dst, 0x80|126, byte(n>>8), byte(n))
	default:
		dst = append(dst, 0x80|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	dst = append(dst, key[:]...)
	start := len(dst)
	dst = append(dst, payload...)
	mask(dst[start:], key)
	return dst
}

// mask XORs b with the repeating key (its own inverse).
func mask(b []byte, key [4]byte) {
	k := binary.LittleEndian.Uint32(key[:])
	k64 := uint64(k) | uint64(k)<<32
	i := 0
	for ; i+8 <= len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], binary.LittleEndian.Uint64(b[i:])^k64)
	}
	for ; i < len(b); i++ {
		b[i] ^= key[i&3]
	}
}

// CloseCode extracts the status code of a close frame payload (1005 when
// absent, as RFC 6455 §7.1.5 says).
func CloseCode(payload []byte) uint16 {
	if len(payload) < 2 {
		return 1005
	}
	return binary.BigEndian.Uint16(payload)
}
