package encoders

import (
	"encoding/binary"
	"math"
)

// Msgpack writing helpers. They produce the smallest encoding of each value,
// as github.com/vmihailenco/msgpack/v5 does, and append to a caller's buffer
// so that the broadcast path does not allocate.

func appendMsgpackMapHeader(dst []byte, n int) []byte {
	switch {
	case n < 16:
		return append(dst, mpFixMapLow|byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(dst, mpMap16), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(dst, mpMap32), uint32(n))
}

func appendMsgpackArrayHeader(dst []byte, n int) []byte {
	switch {
	case n < 16:
		return append(dst, mpFixArrayLow|byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(dst, mpArray16), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(dst, mpArray32), uint32(n))
}

func appendMsgpackStrHeader(dst []byte, n int) []byte {
	switch {
	case n < 32:
		return append(dst, mpFixStrLow|byte(n))
	case n <= math.MaxUint8:
		return append(dst, mpStr8, byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(dst, mpStr16), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(dst, mpStr32), uint32(n))
}

func appendMsgpackString(dst []byte, s string) []byte {
	return append(appendMsgpackStrHeader(dst, len(s)), s...)
}

func appendMsgpackBool(dst []byte, v bool) []byte {
	if v {
		return append(dst, mpTrue)
	}
	return append(dst, mpFalse)
}

func appendMsgpackUint(dst []byte, n uint64) []byte {
	switch {
	case n <= mpPosFixNumHigh:
		return append(dst, byte(n))
	case n <= math.MaxUint8:
		return append(dst, mpUint8, byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(dst, mpUint16), uint16(n))
	case n <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(dst, mpUint32), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(dst, mpUint64), n)
}

func appendMsgpackInt(dst []byte, n int64) []byte {
	if n >= 0 {
		return appendMsgpackUint(dst, uint64(n))
	}
	switch {
	case n >= -32:
		return append(dst, byte(int8(n)))
	case n >= math.MinInt8:
		return append(dst, mpInt8, byte(int8(n)))
	case n >= math.MinInt16:
		return binary.BigEndian.AppendUint16(append(dst, mpInt16), uint16(int16(n)))
	case n >= math.MinInt32:
		return binary.BigEndian.AppendUint32(append(dst, mpInt32), uint32(int32(n)))
	}
	return binary.BigEndian.AppendUint64(append(dst, mpInt64), uint64(n))
}

func appendMsgpackFloat64(dst []byte, f float64) []byte {
	return binary.BigEndian.AppendUint64(append(dst, mpDouble), math.Float64bits(f))
}

// reserveHeader appends room for the largest (5-byte) container or string
// header and returns its position; finishHeader later writes the real header
// and closes the gap.
func reserveHeader(dst []byte) ([]byte, int) {
	return append(dst, 0, 0, 0, 0, 0), len(dst)
}

// Header kinds for finishHeader.
const (
	mpKindStr = iota
	mpKindArray
	mpKindMap
)

// finishHeader writes the header of the given kind for n elements (or bytes)
// at pos (reserved with reserveHeader) and moves the body left over the
// unused bytes.
func finishHeader(dst []byte, pos, n, kind int) []byte {
	var hb [5]byte
	var h []byte
	switch kind {
	case mpKindStr:
		h = appendMsgpackStrHeader(hb[:0], n)
	case mpKindArray:
		h = appendMsgpackArrayHeader(hb[:0], n)
	default:
		h = appendMsgpackMapHeader(hb[:0], n)
	}
	copy(dst[pos:], h)
	if gap := 5 - len(h); gap > 0 {
		body := pos + 5
		copy(dst[body-gap:], dst[body:])
		dst = dst[:len(dst)-gap]
	}
	return dst
}
