package encoders

import (
	"fmt"
	"math"
	"strconv"

	"github.com/densecable/densecable/encoders/jsonkit"
)

// Client payloads that are not strings (whisper objects, presence info) reach
// sessions as JSON text, so msgpack values are converted to JSON here. Strings
// (str, and bin, which some encoders use for text) become JSON strings escaped
// like encoding/json; map keys must be strings; NaN, infinities and extension
// types have no JSON form and are rejected.

// appendJSONValue converts the next msgpack value into JSON. depth is the
// nesting level of the enclosing container.
func (r *mpReader) appendJSONValue(dst []byte, depth int) ([]byte, error) {
	c, err := r.peek()
	if err != nil {
		return dst, err
	}
	switch {
	case c == mpNil:
		r.i++
		return append(dst, "null"...), nil
	case c == mpTrue:
		r.i++
		return append(dst, "true"...), nil
	case c == mpFalse:
		r.i++
		return append(dst, "false"...), nil
	case c >= mpFixStrLow && c <= mpFixStrHigh, c == mpStr8, c == mpStr16, c == mpStr32,
		c == mpBin8, c == mpBin16, c == mpBin32:
		s, err := r.strBytes("")
		if err != nil {
			return dst, err
		}
		return jsonkit.AppendString(dst, s), nil
	case c >= mpFixMapLow && c <= mpFixArrayHigh, c == mpMap16, c == mpMap32, c == mpArray16, c == mpArray32:
		return r.appendJSONContainer(dst, depth+1)
	case c <= mpPosFixNumHigh, c >= mpNegFixNumLow, c >= mpFloat && c <= mpInt64:
		n, err := r.number("")
		if err != nil {
			return dst, err
		}
		switch {
		case n.isFloat:
			if math.IsNaN(n.f) || math.IsInf(n.f, 0) {
				return dst, fmt.Errorf("%w: %v has no JSON form", errMsgpackType, n.f)
			}
			return jsonkit.AppendFloat(dst, n.f, n.bits), nil
		case n.neg:
			return strconv.AppendInt(dst, n.i, 10), nil
		}
		return strconv.AppendUint(dst, n.u, 10), nil
	}
	return dst, fmt.Errorf("%w: code 0x%02x has no JSON form", errMsgpackType, c)
}

func (r *mpReader) appendJSONContainer(dst []byte, depth int) ([]byte, error) {
	if depth > jsonkit.MaxDepth {
		return dst, errMsgpackDepth
	}
	n, isMap, err := r.containerLen()
	if err != nil {
		return dst, err
	}
	open, closing := byte('['), byte(']')
	if isMap {
		open, closing = '{', '}'
	}
	dst = append(dst, open)
	for k := 0; k < n; k++ {
		if k > 0 {
			dst = append(dst, ',')
		}
		if isMap {
			key, err := r.strBytes("map key")
			if err != nil {
				return dst, err
			}
			dst = append(jsonkit.AppendString(dst, key), ':')
		}
		if dst, err = r.appendJSONValue(dst, depth); err != nil {
			return dst, err
		}
	}
	return append(dst, closing), nil
}
