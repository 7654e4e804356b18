package encoders

import (
	"unicode/utf8"
	"unsafe"
)

// arena hands out strings and byte slices that share one backing array, so
// that decoding a command costs one allocation instead of one per field.
//
// Safety: bytes are only ever appended past len(buf); a region handed out is
// never written again. When append has to grow buf, earlier strings keep
// pointing into the old array, which the garbage collector keeps alive.
type arena struct {
	buf []byte
}

// newArena sizes the arena for decoding an input of n bytes (decoded text is
// rarely longer than its encoding).
func newArena(n int) arena { return arena{buf: make([]byte, 0, n)} }

// mark returns the current end, the start of the next value.
func (a *arena) mark() int { return len(a.buf) }

// stringFrom returns the bytes appended since mark as a string.
func (a *arena) stringFrom(mark int) string {
	if len(a.buf) == mark {
		return ""
	}
	return unsafe.String(&a.buf[mark], len(a.buf)-mark)
}

// bytesFrom returns the bytes appended since mark; the slice's capacity is
// clipped so that a caller's append cannot write into later values.
func (a *arena) bytesFrom(mark int) []byte {
	return a.buf[mark:len(a.buf):len(a.buf)]
}

// copyString stores b in the arena and returns it as a string.
func (a *arena) copyString(b []byte) string {
	m := a.mark()
	a.buf = append(a.buf, b...)
	return a.stringFrom(m)
}

// copyBytes stores b in the arena.
func (a *arena) copyBytes(b []byte) []byte {
	m := a.mark()
	a.buf = append(a.buf, b...)
	return a.bytesFrom(m)
}

// copyValidString stores b in the arena with each invalid UTF-8 byte replaced
// by U+FFFD (what encoding/json does to JSON strings), so every format hands
// sessions valid text.
func (a *arena) copyValidString(b []byte) string {
	if utf8.Valid(b) {
		return a.copyString(b)
	}
	m := a.mark()
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			a.buf = utf8.AppendRune(a.buf, utf8.RuneError)
		} else {
			a.buf = append(a.buf, b[i:i+n]...)
		}
		i += n
	}
	return a.stringFrom(m)
}
