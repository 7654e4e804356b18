package encoders

import (
	"fmt"
	"strconv"

	"github.com/densecable/densecable/encoders/jsonkit"
)

// JSON text (broadcast payloads, RPC transmissions) is converted straight into
// native msgpack values without building Go values in between: objects become
// maps (keys in their JSON order), arrays arrays, strings str, integers that
// fit int64 the smallest int encoding, and every other number a float64.

// appendMsgpackFromJSON transcodes the single JSON value in s.
func appendMsgpackFromJSON(dst []byte, s string) ([]byte, error) {
	start := len(dst)
	dst, i, err := jsonValueToMsgpack(dst, s, jsonkit.SkipSpace(s, 0), 0)
	if err == nil && jsonkit.SkipSpace(s, i) != len(s) {
		err = jsonkit.SyntaxErrAt(i)
	}
	if err != nil {
		return dst[:start], fmt.Errorf("encoders: converting JSON to msgpack: %w", err)
	}
	return dst, nil
}

func jsonValueToMsgpack(dst []byte, s string, i, depth int) ([]byte, int, error) {
	if i >= len(s) {
		return dst, i, jsonkit.SyntaxErrAt(i)
	}
	switch c := s[i]; c {
	case '"':
		return jsonStringToMsgpack(dst, s, i)
	case '{', '[':
		return jsonContainerToMsgpack(dst, s, i, depth+1)
	case 't':
		end, err := jsonkit.ScanLiteral(s, i, "true")
		return append(dst, mpTrue), end, err
	case 'f':
		end, err := jsonkit.ScanLiteral(s, i, "false")
		return append(dst, mpFalse), end, err
	case 'n':
		end, err := jsonkit.ScanLiteral(s, i, "null")
		return append(dst, mpNil), end, err
	}
	end, integer, err := jsonkit.ScanNumber(s, i)
	if err != nil {
		return dst, end, err
	}
	lit := s[i:end]
	if integer {
		if n, err := strconv.ParseInt(lit, 10, 64); err == nil {
			return appendMsgpackInt(dst, n), end, nil
		}
	}
	// Out of float64 range gives ±Inf, which is what JavaScript's JSON.parse
	// yields for such literals too.
	f, _ := strconv.ParseFloat(lit, 64)
	return appendMsgpackFloat64(dst, f), end, nil
}

func jsonStringToMsgpack(dst []byte, s string, i int) ([]byte, int, error) {
	si, err := jsonkit.ScanString(s, i)
	if err != nil {
		return dst, i, err
	}
	body := s[si.Body : si.End-1]
	if si.Verbatim() {
		return append(appendMsgpackStrHeader(dst, len(body)), body...), si.End, nil
	}
	dst, pos := reserveHeader(dst)
	dst = jsonkit.AppendUnescaped(dst, body, si)
	return finishHeader(dst, pos, len(dst)-pos-5, mpKindStr), si.End, nil
}

func jsonContainerToMsgpack(dst []byte, s string, i, depth int) ([]byte, int, error) {
	if depth > jsonkit.MaxDepth {
		return dst, i, jsonkit.ErrDepth
	}
	obj := s[i] == '{'
	closing, header := byte(']'), mpKindArray
	if obj {
		closing, header = '}', mpKindMap
	}
	dst, pos := reserveHeader(dst)
	n := 0
	i = jsonkit.SkipSpace(s, i+1)
	if i < len(s) && s[i] == closing {
		return finishHeader(dst, pos, 0, header), i + 1, nil
	}
	for {
		var err error
		if obj {
			if i >= len(s) || s[i] != '"' {
				return dst, i, jsonkit.SyntaxErrAt(i)
			}
			if dst, i, err = jsonStringToMsgpack(dst, s, i); err != nil {
				return dst, i, err
			}
			i = jsonkit.SkipSpace(s, i)
			if i >= len(s) || s[i] != ':' {
				return dst, i, jsonkit.SyntaxErrAt(i)
			}
			i = jsonkit.SkipSpace(s, i+1)
		}
		if dst, i, err = jsonValueToMsgpack(dst, s, i, depth); err != nil {
			return dst, i, err
		}
		n++
		i = jsonkit.SkipSpace(s, i)
		if i >= len(s) {
			return dst, i, jsonkit.SyntaxErrAt(i)
		}
		switch s[i] {
		case ',':
			i = jsonkit.SkipSpace(s, i+1)
		case closing:
			return finishHeader(dst, pos, n, header), i + 1, nil
		default:
			return dst, i, jsonkit.SyntaxErrAt(i)
		}
	}
}
