package cableproto

import (
	"encoding/binary"
	"errors"
	"math"
)

// Msgpack is actioncable-v1-msgpack: the JSON protocol's objects encoded
// as msgpack in binary frames.
type Msgpack struct{}

func (Msgpack) Name() string        { return "msgpack" }
func (Msgpack) Subprotocol() string { return "actioncable-v1-msgpack" }
func (Msgpack) Binary() bool        { return true }

func (Msgpack) AppendCommand(dst []byte, command, identifier, data string) []byte {
	n := byte(2)
	if data != "" {
		n = 3
	}
	dst = append(dst, 0x80|n) // fixmap
	dst = appendMsgpackString(dst, "command")
	dst = appendMsgpackString(dst, command)
	dst = appendMsgpackString(dst, "identifier")
	dst = appendMsgpackString(dst, identifier)
	if data != "" {
		dst = appendMsgpackString(dst, "data")
		dst = appendMsgpackString(dst, data)
	}
	return dst
}

func appendMsgpackString(dst []byte, s string) []byte {
	switch n := len(s); {
	case n < 32:
		dst = append(dst, 0xa0|byte(n))
	case n <= math.MaxUint8:
		dst = append(dst, 0xd9, byte(n))
	case n <= math.MaxUint16:
		dst = append(dst, 0xda, byte(n>>8), byte(n))
	default:
		dst = append(dst, 0xdb)
		dst = binary.BigEndian.AppendUint32(dst, uint32(n))
	}
	return append(dst, s...)
}

func (Msgpack) ParseReply(b []byte, r *Reply) error {
	*r = Reply{}
	hasMessage := false
	err := eachMsgpackField(b, func(key, val []byte) error {
		switch string(key) {
		case "type":
			if s, ok := msgpackString(val); ok && len(s) > 0 {
				r.Kind = kindOfType(s)
			}
		case "message":
			hasMessage = true
			return parseMsgpackBenchMessage(val, r)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if r.Kind == KindUnknown && hasMessage {
		r.Kind = KindMessage
	}
	return nil
}

// parseMsgpackBenchMessage reads {action, payload:{sendTime}} when val is a
// map; other values are not benchmark messages and are ignored.
func parseMsgpackBenchMessage(val []byte, r *Reply) error {
	if !isMsgpackMap(val) {
		return nil
	}
	return eachMsgpackField(val, func(key, v []byte) error {
		switch string(key) {
		case "action":
			if s, ok := msgpackString(v); ok {
				r.Action = actionOf(s)
			}
		case "payload":
			if !isMsgpackMap(v) {
				return nil
			}
			return eachMsgpackField(v, func(k, pv []byte) error {
				if string(k) == "sendTime" {
					if n, ok := msgpackInt(pv); ok {
						r.SendTime = n
					}
				}
				return nil
			})
		}
		return nil
	})
}

var errMsgpack = errors.New("cableproto: malformed msgpack")

func isMsgpackMap(b []byte) bool {
	return len(b) > 0 && (b[0]&0xf0 == 0x80 || b[0] == 0xde || b[0] == 0xdf)
}

// mpHeader decodes the element header at b[i]: how many bytes it occupies
// itself (head), how many payload bytes follow it (body), and how many
// nested elements follow it (children: 2 per map entry, 1 per array item).
func mpHeader(b []byte, i int) (head, body, children int, err error) {
	c := b[i]
	need := func(n int) bool { return i+n < len(b) || i+n == len(b) }
	be := func(off, n int) int {
		switch n {
		case 1:
			return int(b[i+off])
		case 2:
			return int(binary.BigEndian.Uint16(b[i+off:]))
		}
		return int(binary.BigEndian.Uint32(b[i+off:]))
	}
	switch {
	case c <= 0x7f || c >= 0xe0, c == 0xc0, c == 0xc2, c == 0xc3: // fixint, nil, bool
		return 1, 0, 0, nil
	case c&0xf0 == 0x80: // fixmap
		return 1, 0, 2 * int(c&0x0f), nil
	case c&0xf0 == 0x90: // fixarray
		return 1, 0, int(c & 0x0f), nil
	case c&0xe0 == 0xa0: // fixstr
		return 1, int(c & 0x1f), 0, nil
	}
	var lenBytes int
	switch c {
	case 0xcc, 0xd0:
		return 1, 1, 0, nil
	case 0xcd, 0xd1:
		return 1, 2, 0, nil
	case 0xca, 0xce, 0xd2:
		return 1, 4, 0, nil
	case 0xcb, 0xcf, 0xd3:
		return 1, 8, 0, nil
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8: // fixext 1,2,4,8,16 (+1 type byte)
		return 1, 1 + 1<<(c-0xd4), 0, nil
	case 0xd9, 0xc4:
		lenBytes = 1
	case 0xda, 0xc5:
		lenBytes = 2
	case 0xdb, 0xc6:
		lenBytes = 4
	case 0xc7, 0xc8, 0xc9: // ext 8/16/32: length then type byte
		lenBytes = 1 << (c - 0xc7)
	case 0xdc, 0xdd, 0xde, 0xdf: // array 16/32, map 16/32: a count follows
		lenBytes = 2 << (c & 1)
	default: // 0xc1 is never used
		return 0, 0, 0, errMsgpack
	}
	if !need(1 + lenBytes) {
		return 0, 0, 0, errMsgpack
	}
	n := be(1, lenBytes)
	switch {
	case c >= 0xde: // map: n pairs of children
		return 1 + lenBytes, 0, 2 * n, nil
	case c >= 0xdc: // array: n children
		return 1 + lenBytes, 0, n, nil
	case 0xc7 <= c && c <= 0xc9: // ext: the type byte, then n bytes
		return 1 + lenBytes, n + 1, 0, nil
	}
	return 1 + lenBytes, n, 0, nil
}

// mpSkip returns the index just after the element starting at i, walking
// nested containers with a counter instead of recursion.
func mpSkip(b []byte, i int) (int, error) {
	pending := 1
	for pending > 0 {
		if i >= len(b) {
			return 0, errMsgpack
		}
		head, body, children, err := mpHeader(b, i)
		if err != nil {
			return 0, err
		}
		i += head + body
		if i > len(b) || children > len(b) {
			return 0, errMsgpack
		}
		pending += children - 1
	}
	return i, nil
}

// eachMsgpackField calls fn for each string-keyed entry of the map at b.
func eachMsgpackField(b []byte, fn func(key, val []byte) error) error {
	if len(b) == 0 || !isMsgpackMap(b) {
		return errMsgpack
	}
	head, _, children, err := mpHeader(b, 0)
	if err != nil {
		return err
	}
	i := head
	for n := children / 2; n > 0; n-- {
		kend, err := mpSkip(b, i)
		if err != nil {
			return err
		}
		key, keyOK := msgpackString(b[i:kend])
		vend, err := mpSkip(b, kend)
		if err != nil {
			return err
		}
		if keyOK {
			if err := fn(key, b[kend:vend]); err != nil {
				return err
			}
		}
		i = vend
	}
	return nil
}

// msgpackString returns the bytes of a str element that spans exactly b.
func msgpackString(b []byte) ([]byte, bool) {
	if len(b) == 0 {
		return nil, false
	}
	c := b[0]
	if !(c&0xe0 == 0xa0 || c == 0xd9 || c == 0xda || c == 0xdb) {
		return nil, false
	}
	head, body, _, err := mpHeader(b, 0)
	if err != nil || head+body != len(b) {
		return nil, false
	}
	return b[head:], true
}

// msgpackInt reads a non-negative integer given as a msgpack int of any
// width, a float64 or a decimal string.
func msgpackInt(b []byte) (int64, bool) {
	if s, ok := msgpackString(b); ok {
		return parseDigits(s)
	}
	if len(b) == 0 {
		return 0, false
	}
	c := b[0]
	if c <= 0x7f {
		return int64(c), true
	}
	var n int64
	switch {
	case c == 0xcb && len(b) == 9:
		f := math.Float64frombits(binary.BigEndian.Uint64(b[1:]))
		// float64(MaxInt64) is 2^63, which does not fit: < excludes it.
		if !(f >= 0 && f < math.MaxInt64) {
			return 0, false
		}
		return int64(f), true
	case c == 0xcc && len(b) == 2:
		n = int64(b[1])
	case c == 0xcd && len(b) == 3:
		n = int64(binary.BigEndian.Uint16(b[1:]))
	case c == 0xce && len(b) == 5:
		n = int64(binary.BigEndian.Uint32(b[1:]))
	case c == 0xcf && len(b) == 9:
		n = int64(binary.BigEndian.Uint64(b[1:])) // negative when > MaxInt64
	case c == 0xd0 && len(b) == 2:
		n = int64(int8(b[1]))
	case c == 0xd1 && len(b) == 3:
		n = int64(int16(binary.BigEndian.Uint16(b[1:])))
	case c == 0xd2 && len(b) == 5:
		n = int64(int32(binary.BigEndian.Uint32(b[1:])))
	case c == 0xd3 && len(b) == 9:
		n = int64(binary.BigEndian.Uint64(b[1:]))
	default:
		return 0, false
	}
	return n, n >= 0
}
