package jsonkit

import (
	"math"
	"strconv"
	"unicode/utf8"
)

// The JSON writer reproduces the bytes Go's encoding/json produces (with its
// default HTML escaping), because anycable-go clients see exactly those bytes
// and caches or tests may compare them. It is hand-rolled so that encoding a
// reply into a buffer with spare capacity allocates nothing.

const hexDigits = "0123456789abcdef"

// jsonSafe[b] reports whether ASCII byte b is written as is inside a JSON
// string (HTML-sensitive <, >, & and control characters are not).
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = true
	}
	for _, b := range []byte{'"', '\\', '<', '>', '&'} {
		t[b] = false
	}
	return t
}()

// AppendString appends s as a quoted JSON string escaped like Go's
// encoding/json: invalid UTF-8 becomes \ufffd, U+2028/U+2029 are escaped.
func AppendString[S ~string | ~[]byte](dst []byte, s S) []byte {
	dst = append(dst, '"')
	dst = AppendStringBody(dst, s)
	return append(dst, '"')
}

// AppendStringBody is AppendString without the quotes.
func AppendStringBody[S ~string | ~[]byte](dst []byte, s S) []byte {
	return appendStringBody(dst, s, true)
}

// AppendStringKeepHTML is AppendString with <, > and & written as they are,
// like an encoding/json Encoder with SetEscapeHTML(false): for JSON only
// programs read (node-to-node messages), where HTML payloads such as Turbo
// Streams would otherwise grow by five bytes per tag bracket.
func AppendStringKeepHTML[S ~string | ~[]byte](dst []byte, s S) []byte {
	dst = append(dst, '"')
	dst = appendStringBody(dst, s, false)
	return append(dst, '"')
}

func appendStringBody[S ~string | ~[]byte](dst []byte, s S, escapeHTML bool) []byte {
	start := 0
	for i := 0; i < len(s); {
		if i += PlainPrefix(s, i); i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if !escapeHTML && (c == '<' || c == '>' || c == '&') {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			dst = AppendEscapedASCII(dst, c)
			i++
			start = i
			continue
		}
		r, size := DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(dst, s[start:]...)
}

// AppendEscapedASCII writes the escape sequence encoding/json uses for an
// ASCII byte that is not safe inside a string.
func AppendEscapedASCII(dst []byte, c byte) []byte {
	switch c {
	case '\\', '"':
		return append(dst, '\\', c)
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	return append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
}

// AppendRune appends one decoded rune inside a JSON string the way
// encoding/json would write it (used when re-encoding unescaped text).
func AppendRune(dst []byte, r rune) []byte {
	if r < utf8.RuneSelf {
		if jsonSafe[r] {
			return append(dst, byte(r))
		}
		return AppendEscapedASCII(dst, byte(r))
	}
	if r == '\u2028' || r == '\u2029' {
		return append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
	}
	return utf8.AppendRune(dst, r)
}

// DecodeRune decodes the first rune of s without converting a []byte to a
// string (which could allocate).
func DecodeRune[S ~string | ~[]byte](s S) (rune, int) {
	var buf [utf8.UTFMax]byte
	n := copy(buf[:], s[:min(len(s), utf8.UTFMax)])
	return utf8.DecodeRune(buf[:n])
}

// AppendFloat formats f like encoding/json does for float64 (bits=64) or
// float32 (bits=32) values. f must be finite.
func AppendFloat(dst []byte, f float64, bits int) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	n0 := len(dst)
	dst = strconv.AppendFloat(dst, f, format, -1, bits)
	if format == 'e' {
		// Go writes 1e-07; encoding/json trims it to 1e-7.
		n := len(dst)
		if n-n0 >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}
