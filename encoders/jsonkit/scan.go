// Package jsonkit is the project's one JSON toolkit: a validating scanner
// over a byte slice (strings, numbers, literals, whole values, object and
// array walkers), string unquoting, and a writer whose bytes equal Go's
// encoding/json output. The codecs (encoders), the publication parser
// (broker) and the load generator's client (bench) all use it, so there is
// one place where JSON grammar and escaping are decided.
//
// The scanner accepts exactly what encoding/json accepts (RFC 8259, nesting
// up to 10000 levels) so that a message the reference server would take is
// taken here and vice versa; the fuzz tests hold it to encoding/json.
// Nothing here allocates unless it appends to a caller's buffer.
package jsonkit

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// MaxDepth is encoding/json's nesting limit.
const MaxDepth = 10000

// Errors of the scanner; SyntaxErrAt wraps ErrSyntax with the offset.
var (
	ErrSyntax   = errors.New("invalid JSON")
	ErrDepth    = errors.New("JSON nested too deeply")
	ErrNumRange = errors.New("JSON number out of float64 range")
)

// SyntaxErrAt is ErrSyntax at offset i.
func SyntaxErrAt(i int) error { return fmt.Errorf("%w at offset %d", ErrSyntax, i) }

// IsSpace reports JSON whitespace (the four bytes RFC 8259 allows).
func IsSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// SkipSpace returns the index of the first non-whitespace byte at or after i.
func SkipSpace[S ~string | ~[]byte](b S, i int) int {
	for i < len(b) && IsSpace(b[i]) {
		i++
	}
	return i
}

// Str describes a scanned JSON string. It is kept to three words so that
// the compiler holds it in registers: a scanner result passed around per key
// and value must cost nothing.
type Str struct {
	Body  int // index of the first byte after the opening quote
	End   int // index after the closing quote
	flags uint8
}

const (
	strEscaped  = 1 << iota // has a backslash escape
	strHigh                 // has a byte >= 0x80
	strHTMLChar             // has <, > or & (escaped when written by encoding/json)
)

// Escaped reports a backslash escape in the body.
func (si Str) Escaped() bool { return si.flags&strEscaped != 0 }

// ASCII reports that no byte of the body is >= 0x80.
func (si Str) ASCII() bool { return si.flags&strHigh == 0 }

// HTML reports <, > or & in the body.
func (si Str) HTML() bool { return si.flags&strHTMLChar != 0 }

// Plain reports whether the body can be copied into JSON output unchanged.
func (si Str) Plain() bool { return si.flags == 0 }

// Verbatim reports whether the body is its own decoded text (no escapes,
// ASCII only), so it can be used in place without unquoting.
func (si Str) Verbatim() bool { return si.flags&(strEscaped|strHigh) == 0 }

// Raw returns the body of the string in b, the input it was scanned in.
func (si Str) Raw(b []byte) []byte { return b[si.Body : si.End-1] }

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

// ScanString validates the JSON string starting at b[i] == '"'. It does not
// check UTF-8 (invalid bytes are replaced when the string is decoded).
func ScanString[S ~string | ~[]byte](b S, i int) (Str, error) {
	var flags uint8
	// A long leading plain run (often the whole string: broadcast data)
	// goes a word at a time. Short strings (keys) and what follows the first
	// special byte go byte by byte: there runs are short (JSON inside a JSON
	// string escapes every quote) and the call would cost more than it saves.
	j := i + 1
	for end := min(j+8, len(b)); j < end && strClass[b[j]] == strPlain; j++ {
	}
	if j == i+9 {
		j += PlainPrefix(b, j)
	}
	for j < len(b) {
		cls := strClass[b[j]]
		if cls == strPlain {
			j++
			continue
		}
		switch cls {
		case strQuote:
			return Str{Body: i + 1, End: j + 1, flags: flags}, nil
		case strBackslash:
			flags |= strEscaped
			if j+1 >= len(b) {
				return Str{Body: i + 1}, SyntaxErrAt(j)
			}
			switch b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				if j+6 > len(b) || Hex4(b[j+2:j+6]) < 0 {
					return Str{Body: i + 1}, SyntaxErrAt(j)
				}
				j += 6
			default:
				return Str{Body: i + 1}, SyntaxErrAt(j)
			}
		case strControl:
			return Str{Body: i + 1}, SyntaxErrAt(j)
		case strNonASCII:
			flags |= strHigh
			j++
		default:
			flags |= strHTMLChar
			j++
		}
	}
	return Str{Body: i + 1}, SyntaxErrAt(len(b))
}

// Hex4 decodes four hex digits, or returns -1.
func Hex4[S ~string | ~[]byte](s S) rune {
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

// simpleEscape maps the letter of a one-letter escape to its byte (0 for
// 'u', which DecodeEscape handles).
var simpleEscape = [256]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// DecodeEscape decodes the (already validated) escape at s[0] == '\\' and
// returns the rune and the number of bytes used. Surrogate pairs are joined;
// a lone surrogate becomes U+FFFD.
func DecodeEscape[S ~string | ~[]byte](s S) (rune, int) {
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
		r := Hex4(s[2:6])
		if utf16.IsSurrogate(r) {
			if len(s) >= 12 && s[6] == '\\' && s[7] == 'u' {
				if r2 := Hex4(s[8:12]); r2 >= 0 {
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

// AppendUnescaped appends the decoded text of a scanned JSON string body,
// replacing invalid UTF-8 with U+FFFD exactly like encoding/json's unquote.
func AppendUnescaped[S ~string | ~[]byte](dst []byte, body S, si Str) []byte {
	if si.Verbatim() {
		return append(dst, body...)
	}
	start := 0
	for i := 0; i < len(body); {
		c := body[i]
		if c != '\\' && c < utf8.RuneSelf {
			// As in ScanString: short runs byte by byte, long ones a word
			// at a time.
			end := min(i+16, len(body))
			for i++; i < end && body[i] != '\\' && body[i] < utf8.RuneSelf; i++ {
			}
			if i == end {
				i += LiteralPrefix(body, i)
			}
			continue
		}
		if c == '\\' {
			dst = append(dst, body[start:i]...)
			if e := simpleEscape[body[i+1]]; e != 0 {
				dst = append(dst, e)
				i += 2
				start = i
				continue
			}
			r, n := DecodeEscape(body[i:])
			dst = utf8.AppendRune(dst, r)
			i += n
			start = i
			continue
		}
		r, size := DecodeRune(body[i:])
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

// ScanNumber validates a JSON number starting at b[i] and returns its end and
// whether it is a plain integer (no fraction or exponent).
func ScanNumber[S ~string | ~[]byte](b S, i int) (end int, integer bool, err error) {
	j := i
	if j < len(b) && b[j] == '-' {
		j++
	}
	switch {
	case j < len(b) && b[j] == '0':
		j++
	case j < len(b) && '1' <= b[j] && b[j] <= '9':
		for j++; j < len(b) && IsDigit(b[j]); j++ {
		}
	default:
		return j, false, SyntaxErrAt(j)
	}
	integer = true
	if j < len(b) && b[j] == '.' {
		integer = false
		j++
		if j >= len(b) || !IsDigit(b[j]) {
			return j, false, SyntaxErrAt(j)
		}
		for j++; j < len(b) && IsDigit(b[j]); j++ {
		}
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		integer = false
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		if j >= len(b) || !IsDigit(b[j]) {
			return j, false, SyntaxErrAt(j)
		}
		for j++; j < len(b) && IsDigit(b[j]); j++ {
		}
	}
	return j, integer, nil
}

// IsDigit reports an ASCII digit.
func IsDigit(c byte) bool { return '0' <= c && c <= '9' }

// CheckFloatRange reports an error when encoding/json could not decode the
// number literal into a float64 (it overflows). Only long literals or ones
// with an exponent can overflow.
func CheckFloatRange(lit []byte, integer bool) error {
	if integer && len(lit) <= 300 {
		return nil
	}
	if !integer && len(lit) <= 300 && !hasExponent(lit) {
		return nil
	}
	if _, err := strconv.ParseFloat(BytesView(lit), 64); err != nil {
		return ErrNumRange
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

// BoolLiteral names the literal a boolean field may hold that starts with c
// (true, false or null), with the value it reads as (null as false); ok is
// false when c starts none of them.
func BoolLiteral(c byte) (lit string, v, ok bool) {
	switch c {
	case 't':
		return "true", true, true
	case 'f':
		return "false", false, true
	case 'n':
		return "null", false, true
	}
	return "", false, false
}

// ScanLiteral checks that b[i:] starts with lit (true, false, null).
func ScanLiteral[S ~string | ~[]byte](b S, i int, lit string) (int, error) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, SyntaxErrAt(i)
	}
	return i + len(lit), nil
}

// SkipValue validates one JSON value at b[i] (no leading space) and returns
// the index after it. depth is the nesting level of the enclosing container.
func SkipValue(b []byte, i, depth int) (int, error) { return skipJSON(b, i, depth, false) }

// SkipAnyValue is SkipValue for values the reference decodes into
// interface{}: a number that overflows float64 is an error there.
func SkipAnyValue(b []byte, i, depth int) (int, error) { return skipJSON(b, i, depth, true) }

func skipJSON(b []byte, i, depth int, numRange bool) (int, error) {
	if i >= len(b) {
		return i, SyntaxErrAt(i)
	}
	switch c := b[i]; {
	case c == '"':
		si, err := ScanString(b, i)
		return si.End, err
	case c == '{' || c == '[':
		return skipContainer(b, i, depth+1, numRange)
	case c == 't':
		return ScanLiteral(b, i, "true")
	case c == 'f':
		return ScanLiteral(b, i, "false")
	case c == 'n':
		return ScanLiteral(b, i, "null")
	default:
		end, integer, err := ScanNumber(b, i)
		if err != nil || !numRange {
			return end, err
		}
		return end, CheckFloatRange(b[i:end], integer)
	}
}

// skipContainer validates an object or array at b[i].
func skipContainer(b []byte, i, depth int, numRange bool) (int, error) {
	if depth > MaxDepth {
		return i, ErrDepth
	}
	obj := b[i] == '{'
	closing := byte(']')
	if obj {
		closing = '}'
	}
	i = SkipSpace(b, i+1)
	if i < len(b) && b[i] == closing {
		return i + 1, nil
	}
	for {
		if obj {
			if i >= len(b) || b[i] != '"' {
				return i, SyntaxErrAt(i)
			}
			si, err := ScanString(b, i)
			if err != nil {
				return i, err
			}
			i = SkipSpace(b, si.End)
			if i >= len(b) || b[i] != ':' {
				return i, SyntaxErrAt(i)
			}
			i = SkipSpace(b, i+1)
		}
		var err error
		if i, err = skipJSON(b, i, depth, numRange); err != nil {
			return i, err
		}
		i = SkipSpace(b, i)
		if i >= len(b) {
			return i, SyntaxErrAt(i)
		}
		switch b[i] {
		case ',':
			i = SkipSpace(b, i+1)
		case closing:
			return i + 1, nil
		default:
			return i, SyntaxErrAt(i)
		}
	}
}

// BytesView returns b as a string without copying; the string must not
// outlive a later change of b.
func BytesView(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// StringBytes views s as bytes without copying; callers only read them.
func StringBytes(s string) []byte {
	if s == "" {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// AppendStringValue validates the JSON string at b[i] == '"' and appends its
// decoded text to dst in the same pass (the decoder's path for values it
// keeps). It returns the index after the closing quote.
func AppendStringValue(dst, b []byte, i int) ([]byte, int, error) {
	start := i + 1
	for j := start; ; {
		if j += RawPrefix(b, j); j >= len(b) {
			return dst, j, SyntaxErrAt(j)
		}
		switch c := b[j]; {
		case c == '"':
			return append(dst, b[start:j]...), j + 1, nil
		case c == '\\':
			if j+1 >= len(b) {
				return dst, j, SyntaxErrAt(j)
			}
			switch b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+6 > len(b) || Hex4(b[j+2:j+6]) < 0 {
					return dst, j, SyntaxErrAt(j)
				}
			default:
				return dst, j, SyntaxErrAt(j)
			}
			dst = append(dst, b[start:j]...)
			r, n := DecodeEscape(b[j:])
			dst = utf8.AppendRune(dst, r)
			j += n
			start = j
		case c < 0x20:
			return dst, j, SyntaxErrAt(j)
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
