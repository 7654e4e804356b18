package frames

import (
	"encoding/binary"
	"unicode/utf8"

	"github.com/gobwas/ws"
)

// MaxHeaderSize is the largest client frame header: 2 bytes, 8 bytes of
// extended length and a 4-byte mask.
const MaxHeaderSize = 14

// HeaderSize tells how many bytes the header starting with b0, b1 takes.
func HeaderSize(b0, b1 byte) int {
	n := 2
	switch b1 & 0x7f {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if b1&0x80 != 0 {
		n += 4
	}
	return n
}

// ParseHeader decodes a client frame header from b, which must hold at least
// HeaderSize(b[0], b[1]) bytes. It rejects what no client may send: unmasked
// frames, reserved bits (no extension is negotiated), unknown opcodes and
// malformed control frames.
func ParseHeader(b []byte) (h ws.Header, n int, err error) { return ParseHeaderExt(b, false) }

// rsv1 is RSV1 in ws.Header.Rsv: permessage-deflate's "compressed" bit.
const rsv1 = 0x4

// ParseHeaderExt is ParseHeader for a connection that may have agreed on
// permessage-deflate: then RSV1 is allowed on the first frame of a data
// message (RFC 7692 §6.1), never on a control or continuation frame.
func ParseHeaderExt(b []byte, deflate bool) (h ws.Header, n int, err error) {
	if len(b) < 2 {
		return h, 0, ErrBadControl
	}
	n = HeaderSize(b[0], b[1])
	if len(b) < n {
		return h, 0, ErrBadControl
	}
	h.Fin = b[0]&0x80 != 0
	h.Rsv = (b[0] & 0x70) >> 4
	h.OpCode = ws.OpCode(b[0] & 0x0f)
	h.Masked = b[1]&0x80 != 0
	pos := 2
	switch l := b[1] & 0x7f; l {
	case 126:
		h.Length = int64(binary.BigEndian.Uint16(b[2:4]))
		pos = 4
	case 127:
		u := binary.BigEndian.Uint64(b[2:10])
		if u > 1<<62 {
			return h, 0, ErrTooBig
		}
		h.Length = int64(u)
		pos = 10
	default:
		h.Length = int64(l)
	}
	if h.Masked {
		copy(h.Mask[:], b[pos:pos+4])
	}
	switch {
	case h.Rsv&^rsv1 != 0, h.Rsv != 0 && (!deflate || (h.OpCode != ws.OpText && h.OpCode != ws.OpBinary)):
		return h, 0, ErrReservedBits
	case !h.Masked:
		return h, 0, ErrNotMasked
	}
	switch h.OpCode {
	case ws.OpContinuation, ws.OpText, ws.OpBinary:
	case ws.OpClose, ws.OpPing, ws.OpPong:
		if !h.Fin || h.Length > 125 {
			return h, 0, ErrBadControl
		}
	default:
		return h, 0, ErrBadOpCode
	}
	return h, n, nil
}

// Unmask applies the frame mask to payload in place.
func Unmask(h ws.Header, payload []byte) {
	if h.Masked {
		ws.Cipher(payload, h.Mask, 0)
	}
}

// Message is a complete data message or a control frame.
type Message struct {
	OpCode  ws.OpCode
	Payload []byte
}

// Assembler joins fragmented messages. An unfragmented frame passes through
// without a copy; only fragmented messages are buffered, up to MaxSize bytes.
// The zero value (with MaxSize set) is ready to use.
type Assembler struct {
	MaxSize int
	buf     []byte
	window  *inflateWindow // client history once a compressed message came (deflate_window.go)
	// Deflate: permessage-deflate was agreed; a message whose first frame
	// has RSV1 is inflated (bounded by MaxSize) before it is returned.
	Deflate bool
	// DeflateWindowBits: the client compresses with context takeover and
	// this LZ77 window (0: each message on its own). The small fields sit
	// together: an Assembler lives in every connection.
	DeflateWindowBits uint8
	op                ws.OpCode
	active            bool
	compressed        bool
}

// Push takes one unmasked frame. It returns a message when one is complete
// (done=true); control frames are returned at once, even mid-message.
func (a *Assembler) Push(h ws.Header, payload []byte) (m Message, done bool, err error) {
	if h.OpCode.IsControl() {
		return Message{OpCode: h.OpCode, Payload: payload}, true, nil
	}
	if h.OpCode == ws.OpContinuation {
		if !a.active {
			return m, false, ErrBadContinuation
		}
		if a.MaxSize > 0 && len(a.buf)+len(payload) > a.MaxSize {
			a.reset()
			return m, false, ErrTooBig
		}
		a.buf = append(a.buf, payload...)
		if !h.Fin {
			return m, false, nil
		}
		m = Message{OpCode: a.op, Payload: a.buf}
		a.active = false
		a.buf = nil // the message owns the buffer now
		return a.finish(m)
	}
	if a.active {
		// A new data frame before the previous message ended.
		a.reset()
		return m, false, ErrBadContinuation
	}
	if a.MaxSize > 0 && len(payload) > a.MaxSize {
		return m, false, ErrTooBig
	}
	a.compressed = a.Deflate && h.Rsv&rsv1 != 0
	if h.Fin {
		return a.finish(Message{OpCode: h.OpCode, Payload: payload})
	}
	a.active = true
	a.op = h.OpCode
	a.buf = append(make([]byte, 0, len(payload)*2), payload...)
	return m, false, nil
}

// Buffered is the size of the fragments held for an unfinished message.
func (a *Assembler) Buffered() int { return len(a.buf) }

// Active reports whether a fragmented message is waiting for more frames.
func (a *Assembler) Active() bool { return a.active }

func (a *Assembler) reset() {
	a.active = false
	a.buf = nil
}

// finish inflates a compressed message and validates it.
func (a *Assembler) finish(m Message) (Message, bool, error) {
	if a.compressed {
		a.compressed = false
		max := a.MaxSize
		if max <= 0 {
			max = MaxInflateUnlimited
		}
		if a.DeflateWindowBits != 0 {
			return a.inflateTakeover(m, max)
		}
		p, err := Inflate(nil, m.Payload, max)
		if err != nil {
			return Message{}, false, err
		}
		m.Payload = p
	}
	return m, true, validate(m)
}

func validate(m Message) error {
	if m.OpCode == ws.OpText && !utf8.Valid(m.Payload) {
		return ErrInvalidUTF8
	}
	return nil
}

// ValidCloseCode reports whether a peer may send code in a close frame
// (RFC 6455 §7.4): 1004-1006 and 1015 are reserved for reports, never for
// the wire, and anything under 1000, unassigned in 1016-2999 or above 4999
// is invalid.
func ValidCloseCode(code uint16) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014:
		return true
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}

// ParseClose reads the code and reason of a close frame payload.
func ParseClose(p []byte) (code uint16, reason string) {
	if len(p) < 2 {
		return CloseNoStatus, ""
	}
	return binary.BigEndian.Uint16(p), string(p[2:])
}
