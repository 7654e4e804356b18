package broker

import (
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// decodeString returns the value of a string validated by scanString with a
// single allocation: plain strings are copied, escaped ones are decoded into a
// fresh buffer that becomes the string (the same trick strings.Builder uses;
// the buffer is never touched again).
func decodeString(b []byte, sp strSpan) string {
	src := b[sp.start:sp.end]
	if sp.plain {
		return string(src)
	}
	out := appendUnquoted(make([]byte, 0, len(src)), src)
	if len(out) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(out), len(out))
}

// appendUnquoted decodes src onto dst: escapes are resolved and invalid UTF-8
// becomes U+FFFD, with the same results as encoding/json (a lone or
// mismatched surrogate escape becomes U+FFFD too). src must have passed
// scanString.
func appendUnquoted(dst, src []byte) []byte {
	run := 0 // start of the pending verbatim run
	for r := 0; r < len(src); {
		c := src[r]
		if c != '\\' && c < utf8.RuneSelf {
			r++
			continue
		}
		if c != '\\' {
			rr, size := utf8.DecodeRune(src[r:])
			if rr != utf8.RuneError || size != 1 {
				r += size
				continue
			}
			dst = append(dst, src[run:r]...)
			dst = utf8.AppendRune(dst, unicode.ReplacementChar)
			r++
			run = r
			continue
		}
		dst = append(dst, src[run:r]...)
		switch e := src[r+1]; e {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			rr := hex4(src[r+2:])
			if utf16.IsSurrogate(rr) {
				if dec := utf16.DecodeRune(rr, escapedRune(src[r+6:])); dec != unicode.ReplacementChar {
					dst = utf8.AppendRune(dst, dec)
					r += 12
					run = r
					continue
				}
				rr = unicode.ReplacementChar
			}
			dst = utf8.AppendRune(dst, rr)
			r += 6
			run = r
			continue
		default: // '"', '\\', '/'
			dst = append(dst, e)
		}
		r += 2
		run = r
	}
	return append(dst, src[run:]...)
}

func hexVal(c byte) rune {
	switch {
	case c <= '9':
		return rune(c - '0')
	case c >= 'a':
		return rune(c - 'a' + 10)
	default:
		return rune(c - 'A' + 10)
	}
}

// hex4 reads four hex digits that scanString already validated.
func hex4(s []byte) rune {
	return hexVal(s[0])<<12 | hexVal(s[1])<<8 | hexVal(s[2])<<4 | hexVal(s[3])
}

// escapedRune reads a following `\uXXXX`, or returns -1 when there is none.
func escapedRune(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	for _, c := range s[2:6] {
		if !isHex(c) {
			return -1
		}
	}
	return hex4(s[2:])
}
