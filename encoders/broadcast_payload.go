package encoders

import (
	"bytes"
	"strconv"
	"unicode/utf8"

	"github.com/densecable/densecable/encoders/jsonkit"
)

// BroadcastPayload turns a publication's data string into the JSON text sent
// as the `message` of a broadcast, with the reference server's semantics:
// data is parsed as JSON into interface{} values and marshalled again by
// encoding/json, so object keys come out sorted (last duplicate wins), numbers
// go through float64 ('12345678901234567890' -> 12345678901234567000,
// '1.50' -> 1.5), strings are re-escaped (<, >, & as \u003c...). When data is
// not valid JSON, or is JSON null, it is sent as a JSON string instead
// ('null' -> "null", 'plain' -> "plain").
//
// It is called once per publication (the result is shared by all
// subscribers), so it favours exactness over the last nanosecond; output that
// is already canonical is still produced in a single pass.
func BroadcastPayload(data string) []byte {
	return AppendBroadcastPayload(make([]byte, 0, len(data)+len(data)/8+8), data)
}

// AppendBroadcastPayload is BroadcastPayload appending to dst.
func AppendBroadcastPayload(dst []byte, data string) []byte {
	var c canonicalizer
	out, ok := c.document(dst, data)
	if !ok && c.unsorted {
		// Some object needs its keys sorted: build a tree and write it
		// sorted (see canonTree), which stays O(n log n) however deep the
		// unsorted objects nest.
		var t canonTree
		out, ok = t.document(dst, data)
	}
	if ok {
		return out
	}
	return jsonkit.AppendString(dst, data)
}

// canonicalizer re-encodes JSON text the way a round trip through
// encoding/json's Unmarshal into interface{} and Marshal would, in one pass
// that writes straight to dst. It gives up (unsorted=true) at the first object
// whose keys are not strictly increasing.
type canonicalizer struct {
	keys     []byte // decoded keys of the objects being written (a stack)
	unsorted bool
}

func (c *canonicalizer) document(dst []byte, s string) ([]byte, bool) {
	start := len(dst)
	i := jsonkit.SkipSpace(s, 0)
	if i < len(s) && s[i] == 'n' {
		return dst, false // top-level null is sent as the string "null"
	}
	dst, i, ok := c.value(dst, s, i, 0)
	if !ok || jsonkit.SkipSpace(s, i) != len(s) {
		return dst[:start], false
	}
	return dst, true
}

// value writes the canonical form of the value at s[i].
func (c *canonicalizer) value(dst []byte, s string, i, depth int) ([]byte, int, bool) {
	if i >= len(s) {
		return dst, i, false
	}
	switch ch := s[i]; {
	case ch == '"':
		si, err := jsonkit.ScanString(s, i)
		if err != nil {
			return dst, i, false
		}
		return appendCanonicalString(dst, s[si.Body:si.End-1], si), si.End, true
	case ch == '{':
		return c.object(dst, s, i, depth+1)
	case ch == '[':
		return c.array(dst, s, i, depth+1)
	case ch == 't' || ch == 'f' || ch == 'n':
		lit := "null"
		if ch == 't' {
			lit = "true"
		} else if ch == 'f' {
			lit = "false"
		}
		end, err := jsonkit.ScanLiteral(s, i, lit)
		if err != nil {
			return dst, i, false
		}
		return append(dst, lit...), end, true
	}
	end, integer, err := jsonkit.ScanNumber(s, i)
	if err != nil {
		return dst, i, false
	}
	dst, ok := appendCanonicalNumber(dst, s[i:end], integer)
	return dst, end, ok
}

func (c *canonicalizer) array(dst []byte, s string, i, depth int) ([]byte, int, bool) {
	if depth > jsonkit.MaxDepth {
		return dst, i, false
	}
	dst = append(dst, '[')
	i = jsonkit.SkipSpace(s, i+1)
	if i < len(s) && s[i] == ']' {
		return append(dst, ']'), i + 1, true
	}
	for {
		var ok bool
		if dst, i, ok = c.value(dst, s, i, depth); !ok {
			return dst, i, false
		}
		i = jsonkit.SkipSpace(s, i)
		if i >= len(s) {
			return dst, i, false
		}
		switch s[i] {
		case ',':
			dst = append(dst, ',')
			i = jsonkit.SkipSpace(s, i+1)
		case ']':
			return append(dst, ']'), i + 1, true
		default:
			return dst, i, false
		}
	}
}

// object writes an object whose keys are already in order.
func (c *canonicalizer) object(dst []byte, s string, i, depth int) ([]byte, int, bool) {
	if depth > jsonkit.MaxDepth {
		return dst, i, false
	}
	dst = append(dst, '{')
	keysBase := len(c.keys)
	defer func() { c.keys = c.keys[:keysBase] }()

	i = jsonkit.SkipSpace(s, i+1)
	if i < len(s) && s[i] == '}' {
		return append(dst, '}'), i + 1, true
	}
	prevStart := -1
	for {
		if i >= len(s) || s[i] != '"' {
			return dst, i, false
		}
		si, err := jsonkit.ScanString(s, i)
		if err != nil {
			return dst, i, false
		}
		body := s[si.Body : si.End-1]
		keyStart := len(c.keys)
		c.keys = jsonkit.AppendUnescaped(c.keys, body, si)
		if prevStart >= 0 {
			if bytes.Compare(c.keys[prevStart:keyStart], c.keys[keyStart:]) >= 0 {
				c.unsorted = true
				return dst, i, false
			}
			dst = append(dst, ',')
		}
		prevStart = keyStart
		dst = appendCanonicalString(dst, body, si)
		i = jsonkit.SkipSpace(s, si.End)
		if i >= len(s) || s[i] != ':' {
			return dst, i, false
		}
		dst = append(dst, ':')
		var ok bool
		if dst, i, ok = c.value(dst, s, jsonkit.SkipSpace(s, i+1), depth); !ok {
			return dst, i, false
		}
		i = jsonkit.SkipSpace(s, i)
		if i >= len(s) {
			return dst, i, false
		}
		if s[i] == '}' {
			return append(dst, '}'), i + 1, true
		}
		if s[i] != ',' {
			return dst, i, false
		}
		i = jsonkit.SkipSpace(s, i+1)
	}
}

// appendCanonicalString decodes a JSON string body and encodes it again.
// Invalid UTF-8 was replaced by U+FFFD when decoding, so it comes out as
// that rune rather than as the \ufffd escape.
func appendCanonicalString(dst []byte, body string, si jsonkit.Str) []byte {
	dst = append(dst, '"')
	if si.Plain() {
		dst = append(dst, body...)
		return append(dst, '"')
	}
	start := 0
	for i := 0; i < len(body); {
		if i += jsonkit.PlainPrefix(body, i); i >= len(body) {
			break
		}
		ch := body[i]
		if ch < utf8.RuneSelf {
			dst = append(dst, body[start:i]...)
			if ch == '\\' {
				r, n := jsonkit.DecodeEscape(body[i:])
				dst = jsonkit.AppendRune(dst, r)
				i += n
			} else {
				dst = jsonkit.AppendEscapedASCII(dst, ch)
				i++
			}
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(body[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			dst = append(dst, body[start:i]...)
			dst = jsonkit.AppendRune(dst, r)
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, body[start:]...)
	return append(dst, '"')
}

// appendCanonicalNumber writes the float64 value of a number literal as
// encoding/json would; ok is false when the literal overflows float64.
func appendCanonicalNumber(dst []byte, lit string, integer bool) ([]byte, bool) {
	digits := len(lit)
	if lit[0] == '-' {
		digits--
	}
	// Integers of up to 15 digits are exact in float64 and print as written.
	if integer && digits <= 15 {
		return append(dst, lit...), true
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil {
		return dst, false
	}
	return jsonkit.AppendFloat(dst, f, 64), true
}
