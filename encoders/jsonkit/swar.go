package jsonkit

// Word-at-a-time scanning for the common case of long runs of plain ASCII in
// JSON strings: eight bytes are tested with a few integer operations instead
// of eight table lookups.

const (
	swarLSB = 0x0101010101010101
	swarMSB = 0x8080808080808080
)

// swarZero is non-zero iff some byte of v is zero.
func swarZero(v uint64) uint64 { return (v - swarLSB) & ^v & swarMSB }

// swarSpecial is non-zero iff some byte of x is not plain inside a JSON
// string: a control character, '"', '\\', '<', '>', '&', or >= 0x80.
func swarSpecial(x uint64) uint64 {
	return (x-swarLSB*0x20)&^x&swarMSB | // < 0x20 (or >= 0x80, caught below anyway)
		x&swarMSB |
		swarZero(x^(swarLSB*'"')) |
		swarZero(x^(swarLSB*'\\')) |
		swarZero(x^(swarLSB*'<')) |
		swarZero(x^(swarLSB*'>')) |
		swarZero(x^(swarLSB*'&'))
}

// PlainPrefix returns the length of the longest prefix of s[i:] whose bytes
// are plain inside a JSON string (strClass strPlain).
func PlainPrefix[S ~string | ~[]byte](s S, i int) int {
	j := i
	for ; j+8 <= len(s); j += 8 {
		x := uint64(s[j]) | uint64(s[j+1])<<8 | uint64(s[j+2])<<16 | uint64(s[j+3])<<24 |
			uint64(s[j+4])<<32 | uint64(s[j+5])<<40 | uint64(s[j+6])<<48 | uint64(s[j+7])<<56
		if swarSpecial(x) != 0 {
			break
		}
	}
	for j < len(s) && strClass[s[j]] == strPlain {
		j++
	}
	return j - i
}

// LiteralPrefix returns the length of the longest prefix of s[i:] with no
// backslash and no byte >= 0x80: bytes an unescaping copy passes through.
func LiteralPrefix[S ~string | ~[]byte](s S, i int) int {
	j := i
	for ; j+8 <= len(s); j += 8 {
		x := uint64(s[j]) | uint64(s[j+1])<<8 | uint64(s[j+2])<<16 | uint64(s[j+3])<<24 |
			uint64(s[j+4])<<32 | uint64(s[j+5])<<40 | uint64(s[j+6])<<48 | uint64(s[j+7])<<56
		if x&swarMSB|swarZero(x^(swarLSB*'\\')) != 0 {
			break
		}
	}
	for j < len(s) && s[j] != '\\' && s[j] < 0x80 {
		j++
	}
	return j - i
}

// RawPrefix returns the length of the longest prefix of b[i:] of ASCII bytes
// that a JSON string decoder copies as they are (no quote, backslash or
// control character).
func RawPrefix(b []byte, i int) int {
	j := i
	for ; j+8 <= len(b); j += 8 {
		x := uint64(b[j]) | uint64(b[j+1])<<8 | uint64(b[j+2])<<16 | uint64(b[j+3])<<24 |
			uint64(b[j+4])<<32 | uint64(b[j+5])<<40 | uint64(b[j+6])<<48 | uint64(b[j+7])<<56
		if (x-swarLSB*0x20)&^x&swarMSB|x&swarMSB|swarZero(x^(swarLSB*'"'))|swarZero(x^(swarLSB*'\\')) != 0 {
			break
		}
	}
	for j < len(b) {
		if c := b[j]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
			break
		}
		j++
	}
	return j - i
}
