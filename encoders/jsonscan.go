package encoders

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// A small validating JSON scanner over a byte slice. It accepts exactly what
// encoding/json accepts (RFC 8259, nesting up to 10000 levels) so that a
// message the reference server would take is taken here and vice versa.

// maxJSONDepth is encoding/json's nesting limit.
const maxJSONDepth = 10000

var (
	errJSONSyntax   = errors.New("invalid JSON")
	errJSONDepth    = errors.New("JSON nested too deeply")
	errJSONNumRange = errors.New("JSON number out of float64 range")
)

func syntaxErrAt(i int) error { return fmt.Errorf("%w at offset %d", errJSONSyntax, i) }

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// skipSpace returns the index of the first non-whitespace byte at or after i.
func skipSpace[S ~string | ~[]byte](b S, i int) int {
	for i < len(b) && isJSONSpace(b[i]) {
		i++
	}
	return i
}

// strInfo describes a scanned JSON string.
type strInfo struct {
	body    int // index of the first byte after the opening quote
	end     int // index after the closing quote
	escaped bool
	ascii   bool // no byte >= 0x80
	html    bool // contains <, > or & (escaped when written by encoding/json)
}

// plain reports whether the body can be copied into JSON output unchanged.
func (si strInfo) plain() bool { return !si.escaped && si.ascii && !si.html }

// Byte classes inside a JSON string.
const (
	strPlain = iota
	strQuote
	strBackslash
	strControl
	strNonASCII
	strHTML
)

var strClass = func() (t [256]uint8) {
	for c := 0; c < 0x20; c++ {
		t[c] = strControl
	}
	for c := 0x80; c < 0x100; c++ {
		t[c] = strNonASCII
	}
	t['"'], t['\\'] = strQuote, strBackslash
	t['<'], t['>'], t['&'] = strHTML, strHTML, strHTML
	return t
}()

// scanString validates the JSON string starting at b[i] == '"'. It does not
// check UTF-8 (invalid bytes are replaced when the string is decoded).
func scanString[S ~string | ~[]byte](b S, i int) (strInfo, error) {
	si := strInfo{body: i + 1, ascii: true}
	for j := i + 1; j < len(b); {
		if j += plainPrefix(b, j); j >= len(b) {
			break
		}
		switch strClass[b[j]] {
		case strPlain:
			j++
		case strQuote:
			si.end = j + 1
			return si, nil
		case strBackslash:
			si.escaped = true
			if j+1 >= len(b) {
				return si, syntaxErrAt(j)
			}
			switch b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				if j+6 > len(b) || hex4(b[j+2:j+6]) < 0 {
					return si, syntaxErrAt(j)
				}
				j += 6
			default:
				return si, syntaxErrAt(j)
			}
		case strControl:
			return si, syntaxErrAt(j)
		case strNonASCII:
			si.ascii = false
			j++
		default:
			si.html = true
			j++
		}
	}
	return si, syntaxErrAt(len(b))
}

// hex4 decodes four hex digits, or returns -1.
func hex4[S ~string | ~[]byte](s S) rune {
	var r rune
	for k := 0; k < 4; k++ {
		c := s[k]
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// decodeEscape decodes the (already validated) escape at s[0] == '\\' and
// returns the rune and the number of bytes used. Surrogate pairs are joined;
// a lone surrogate becomes U+FFFD.
func decodeEscape[S ~string | ~[]byte](s S) (rune, int) {
	switch s[1] {
	case 'b':
		return '\b', 2
	case 'f':
		return '\f', 2
	case 'n':
		return '\n', 2
	case 'r':
		return '\r', 2
	case 't':
		return '\t', 2
	case 'u':
		r := hex4(s[2:6])
		if utf16.IsSurrogate(r) {
			if len(s) >= 12 && s[6] == '\\' && s[7] == 'u' {
				if r2 := hex4(s[8:12]); r2 >= 0 {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						return dec, 12
					}
				}
			}
			return utf8.RuneError, 6
		}
		return r, 6
	}
	return rune(s[1]), 2 // " \ /
}

// appendUnescaped appends the decoded text of a scanned JSON string body,
// replacing invalid UTF-8 with U+FFFD exactly like encoding/json's unquote.
func appendUnescaped[S ~string | ~[]byte](dst []byte, body S, si strInfo) []byte {
	if !si.escaped && si.ascii {
		return append(dst, body...)
	}
	start := 0
	for i := 0; i < len(body); {
		if i += literalPrefix(body, i); i >= len(body) {
			break
		}
		c := body[i]
		if c == '\\' {
			dst = append(dst, body[start:i]...)
			r, n := decodeEscape(body[i:])
			dst = utf8.AppendRune(dst, r)
			i += n
			start = i
			continue
		}
		if c < utf8.RuneSelf {
			i++
			continue
		}
		r, size := decodeRune(body[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, body[start:i]...)
			dst = append(dst, "\uFFFD"...)
			i++
			start = i
			continue
		}
		i += size
	}
	return append(dst, body[start:]...)
}

// scanNumber validates a JSON number starting at b[i] and returns its end and
// whether it is a plain integer (no fraction or exponent).
func scanNumber[S ~string | ~[]byte](b S, i int) (end int, integer bool, err error) {
	j := i
	if j < len(b) && b[j] == '-' {
		j++
	}
	switch {
	case j < len(b) && b[j] == '0':
		j++
	case j < len(b) && '1' <= b[j] && b[j] <= '9':
		for j++; j < len(b) && isDigit(b[j]); j++ {
		}
	default:
		return j, false, syntaxErrAt(j)
	}
	integer = true
	if j < len(b) && b[j] == '.' {
		integer = false
		j++
		if j >= len(b) || !isDigit(b[j]) {
			return j, false, syntaxErrAt(j)
		}
		for j++; j < len(b) && isDigit(b[j]); j++ {
		}
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		integer = false
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		if j >= len(b) || !isDigit(b[j]) {
			return j, false, syntaxErrAt(j)
		}
		for j++; j < len(b) && isDigit(b[j]); j++ {
		}
	}
	return j, integer, nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// checkFloatRange reports an error when encoding/json could not decode the
// number literal into a float64 (it overflows). Only long literals or ones
// with an exponent can overflow.
func checkFloatRange(lit []byte, integer bool) error {
	if integer && len(lit) <= 300 {
		return nil
	}
	if !integer && len(lit) <= 300 && !hasExponent(lit) {
		return nil
	}
	if _, err := strconv.ParseFloat(bytesView(lit), 64); err != nil {
		return errJSONNumRange
	}
	return nil
}

func hasExponent(lit []byte) bool {
	for _, c := range lit {
		if c == 'e' || c == 'E' {
			return true
		}
	}
	return false
}

// scanLiteral checks that b[i:] starts with lit (true, false, null).
func scanLiteral[S ~string | ~[]byte](b S, i int, lit string) (int, error) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, syntaxErrAt(i)
	}
	return i + len(lit), nil
}

// skipValue validates one JSON value at b[i] (no leading space) and returns
// the index after it. depth is the nesting level of the enclosing container.
func skipValue(b []byte, i, depth int) (int, error) { return skipJSON(b, i, depth, false) }

// skipAnyValue is skipValue for values the reference decodes into
// interface{}: a number that overflows float64 is an error there.
func skipAnyValue(b []byte, i, depth int) (int, error) { return skipJSON(b, i, depth, true) }

func skipJSON(b []byte, i, depth int, numRange bool) (int, error) {
	if i >= len(b) {
		return i, syntaxErrAt(i)
	}
	switch c := b[i]; {
	case c == '"':
		si, err := scanString(b, i)
		return si.end, err
	case c == '{' || c == '[':
		return skipContainer(b, i, depth+1, numRange)
	case c == 't':
		return scanLiteral(b, i, "true")
	case c == 'f':
		return scanLiteral(b, i, "false")
	case c == 'n':
		return scanLiteral(b, i, "null")
	default:
		end, integer, err := scanNumber(b, i)
		if err != nil || !numRange {
			return end, err
		}
		return end, checkFloatRange(b[i:end], integer)
	}
}

// skipContainer validates an object or array at b[i].
func skipContainer(b []byte, i, depth int, numRange bool) (int, error) {
	if depth > maxJSONDepth {
		return i, errJSONDepth
	}
	obj := b[i] == '{'
	closing := byte(']')
	if obj {
		closing = '}'
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == closing {
		return i + 1, nil
	}
	for {
		if obj {
			if i >= len(b) || b[i] != '"' {
				return i, syntaxErrAt(i)
			}
			si, err := scanString(b, i)
			if err != nil {
				return i, err
			}
			i = skipSpace(b, si.end)
			if i >= len(b) || b[i] != ':' {
				return i, syntaxErrAt(i)
			}
			i = skipSpace(b, i+1)
		}
		var err error
		if i, err = skipJSON(b, i, depth, numRange); err != nil {
			return i, err
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return i, syntaxErrAt(i)
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case closing:
			return i + 1, nil
		default:
			return i, syntaxErrAt(i)
		}
	}
}

// bytesView returns b as a string without copying; the string must not
// outlive a later change of b.
func bytesView(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// appendStringValue validates the JSON string at b[i] == '"' and appends its
// decoded text to dst in the same pass (the decoder's path for values it
// keeps). It returns the index after the closing quote.
func appendStringValue(dst, b []byte, i int) ([]byte, int, error) {
	start := i + 1
	for j := start; ; {
		if j += rawPrefix(b, j); j >= len(b) {
			return dst, j, syntaxErrAt(j)
		}
		switch c := b[j]; {
		case c == '"':
			return append(dst, b[start:j]...), j + 1, nil
		case c == '\\':
			if j+1 >= len(b) {
				return dst, j, syntaxErrAt(j)
			}
			switch b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+6 > len(b) || hex4(b[j+2:j+6]) < 0 {
					return dst, j, syntaxErrAt(j)
				}
			default:
				return dst, j, syntaxErrAt(j)
			}
			dst = append(dst, b[start:j]...)
			r, n := decodeEscape(b[j:])
			dst = utf8.AppendRune(dst, r)
			j += n
			start = j
		case c < 0x20:
			return dst, j, syntaxErrAt(j)
		default:
			r, size := utf8.DecodeRune(b[j:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, b[start:j]...)
				dst = append(dst, "\uFFFD"...)
				j++
				start = j
				continue
			}
			j += size
		}
	}
}
