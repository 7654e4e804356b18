package encoders

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/densecable/densecable/encoders/jsonkit"
)

// mpReader reads msgpack values from a byte slice. Every length read from the
// input is checked against the bytes that remain before anything is sized
// from it, so a forged length costs an error, not memory.
type mpReader struct {
	b []byte
	i int
}

var (
	errMsgpackShort = errors.New("msgpack: unexpected end of input")
	errMsgpackType  = errors.New("msgpack: value of the wrong type")
	errMsgpackDepth = errors.New("msgpack: nested too deeply")
)

func mpTypeErr(field string, code byte) error {
	return fmt.Errorf("%w for %q (code 0x%02x)", errMsgpackType, field, code)
}

func (r *mpReader) remaining() int { return len(r.b) - r.i }

func (r *mpReader) peek() (byte, error) {
	if r.i >= len(r.b) {
		return 0, errMsgpackShort
	}
	return r.b[r.i], nil
}

// take returns the next n bytes.
func (r *mpReader) take(n int) ([]byte, error) {
	if n < 0 || n > r.remaining() {
		return nil, errMsgpackShort
	}
	p := r.b[r.i : r.i+n]
	r.i += n
	return p, nil
}

// uintN reads a big-endian unsigned integer of size bytes (1, 2, 4 or 8).
func (r *mpReader) uintN(size int) (uint64, error) {
	p, err := r.take(size)
	if err != nil {
		return 0, err
	}
	switch size {
	case 1:
		return uint64(p[0]), nil
	case 2:
		return uint64(binary.BigEndian.Uint16(p)), nil
	case 4:
		return uint64(binary.BigEndian.Uint32(p)), nil
	}
	return binary.BigEndian.Uint64(p), nil
}

// isNil consumes a nil if one is next.
func (r *mpReader) isNil() bool {
	if r.i < len(r.b) && r.b[r.i] == mpNil {
		r.i++
		return true
	}
	return false
}

// containerLen reads a map or array header (map reports true). Each entry
// takes at least one byte per element, which bounds a forged count.
func (r *mpReader) containerLen() (n int, isMap bool, err error) {
	c, err := r.peek()
	if err != nil {
		return 0, false, err
	}
	var size int
	switch {
	case c >= mpFixMapLow && c <= mpFixMapHigh:
		n, isMap = int(c&0x0f), true
	case c >= mpFixArrayLow && c <= mpFixArrayHigh:
		n = int(c & 0x0f)
	case c == mpMap16, c == mpMap32:
		isMap, size = true, 2
		if c == mpMap32 {
			size = 4
		}
	case c == mpArray16, c == mpArray32:
		size = 2
		if c == mpArray32 {
			size = 4
		}
	default:
		return 0, false, errMsgpackType
	}
	r.i++
	if size > 0 {
		v, err := r.uintN(size)
		if err != nil {
			return 0, false, err
		}
		n = int(v)
	}
	minBytes := n
	if isMap {
		minBytes = 2 * n
	}
	if minBytes > r.remaining() {
		return 0, false, errMsgpackShort
	}
	return n, isMap, nil
}

// mapLen reads a map header.
func (r *mpReader) mapLen(field string) (int, error) {
	c, _ := r.peek()
	n, isMap, err := r.containerLen()
	if errors.Is(err, errMsgpackType) || err == nil && !isMap {
		return 0, mpTypeErr(field, c)
	}
	return n, err
}

// strBytes reads a str value (bin is accepted too: some encoders send
// strings as raw bytes).
func (r *mpReader) strBytes(field string) ([]byte, error) {
	c, err := r.peek()
	if err != nil {
		return nil, err
	}
	var n int
	switch {
	case c >= mpFixStrLow && c <= mpFixStrHigh:
		r.i++
		n = int(c & 0x1f)
	case c == mpStr8 || c == mpBin8, c == mpStr16 || c == mpBin16, c == mpStr32 || c == mpBin32:
		r.i++
		v, err := r.uintN(lenSize(c))
		if err != nil {
			return nil, err
		}
		n = int(v)
	default:
		return nil, mpTypeErr(field, c)
	}
	return r.take(n)
}

// lenSize is the size of the length that follows a str/bin/ext code.
func lenSize(c byte) int {
	switch c {
	case mpStr8, mpBin8, mpExt8:
		return 1
	case mpStr16, mpBin16, mpExt16:
		return 2
	}
	return 4
}

// mpNumber is a msgpack number: integers exactly in u (non-negative) or i
// (neg set), floats in f with isFloat set and bits 32 or 64.
type mpNumber struct {
	u       uint64
	i       int64
	neg     bool
	f       float64
	isFloat bool
	bits    int
}

// number reads any integer or float.
func (r *mpReader) number(field string) (mpNumber, error) {
	c, err := r.peek()
	if err != nil {
		return mpNumber{}, err
	}
	r.i++
	switch {
	case c <= mpPosFixNumHigh:
		return mpNumber{u: uint64(c), i: int64(c)}, nil
	case c >= mpNegFixNumLow:
		return mpNumber{i: int64(int8(c)), neg: true}, nil
	}
	switch c {
	case mpUint8, mpUint16, mpUint32, mpUint64:
		v, err := r.uintN(1 << (c - mpUint8))
		return mpNumber{u: v, i: int64(v)}, err
	case mpInt8, mpInt16, mpInt32, mpInt64:
		size := 1 << (c - mpInt8)
		v, err := r.uintN(size)
		var n int64
		switch size {
		case 1:
			n = int64(int8(v))
		case 2:
			n = int64(int16(v))
		case 4:
			n = int64(int32(v))
		default:
			n = int64(v)
		}
		if n >= 0 {
			return mpNumber{u: uint64(n), i: n}, err
		}
		return mpNumber{i: n, neg: true}, err
	case mpFloat:
		v, err := r.uintN(4)
		return mpNumber{f: float64(math.Float32frombits(uint32(v))), isFloat: true, bits: 32}, err
	case mpDouble:
		v, err := r.uintN(8)
		return mpNumber{f: math.Float64frombits(v), isFloat: true, bits: 64}, err
	}
	r.i--
	return mpNumber{}, mpTypeErr(field, c)
}

// int64Value reads an integer (or an integral float) that fits int64.
func (r *mpReader) int64Value(field string) (int64, error) {
	n, err := r.number(field)
	if err != nil {
		return 0, err
	}
	switch {
	case n.isFloat:
		if n.f != math.Trunc(n.f) || n.f < math.MinInt64 || n.f >= math.MaxInt64 {
			return 0, fmt.Errorf("%w for %q: not an integer", errMsgpackType, field)
		}
		return int64(n.f), nil
	case !n.neg && n.u > math.MaxInt64:
		return 0, fmt.Errorf("%w for %q: out of range", errMsgpackType, field)
	}
	return n.i, nil
}

// uint64Value reads a non-negative integer (or integral float).
func (r *mpReader) uint64Value(field string) (uint64, error) {
	n, err := r.number(field)
	if err != nil {
		return 0, err
	}
	switch {
	case n.isFloat:
		if n.f != math.Trunc(n.f) || n.f < 0 || n.f >= math.MaxUint64 {
			return 0, fmt.Errorf("%w for %q: not an unsigned integer", errMsgpackType, field)
		}
		return uint64(n.f), nil
	case n.neg:
		return 0, fmt.Errorf("%w for %q: negative", errMsgpackType, field)
	}
	return n.u, nil
}

// skip skips one value of any type, checking nesting depth.
func (r *mpReader) skip(depth int) error {
	c, err := r.peek()
	if err != nil {
		return err
	}
	switch {
	case c <= mpPosFixNumHigh || c >= mpNegFixNumLow || c == mpNil || c == mpTrue || c == mpFalse:
		r.i++
		return nil
	case c >= mpFixStrLow && c <= mpFixStrHigh, c == mpStr8, c == mpStr16, c == mpStr32,
		c == mpBin8, c == mpBin16, c == mpBin32:
		_, err := r.strBytes("")
		return err
	case c >= mpFixMapLow && c <= mpFixArrayHigh, c == mpMap16, c == mpMap32, c == mpArray16, c == mpArray32:
		if depth >= jsonkit.MaxDepth {
			return errMsgpackDepth
		}
		n, isMap, err := r.containerLen()
		if err != nil {
			return err
		}
		if isMap {
			n *= 2
		}
		for k := 0; k < n; k++ {
			if err := r.skip(depth + 1); err != nil {
				return err
			}
		}
		return nil
	case c >= mpFloat && c <= mpInt64:
		_, err := r.number("")
		return err
	case c >= mpFixExt1 && c <= mpFixExt16:
		_, err := r.take(2 + 1<<(c-mpFixExt1))
		return err
	case c == mpExt8, c == mpExt16, c == mpExt32:
		r.i++
		n, err := r.uintN(lenSize(c))
		if err != nil {
			return err
		}
		_, err = r.take(int(min(n, math.MaxInt32)) + 1)
		return err
	}
	return fmt.Errorf("%w: reserved code 0x%02x", errMsgpackType, c)
}
