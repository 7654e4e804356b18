package broker

import (
	"errors"
	"unicode/utf8"
)

// A small validating JSON walker for publications. It never builds a tree:
// callers iterate objects and arrays in place and decode only the strings they
// keep. Validation follows encoding/json's grammar exactly (RFC 8259, the same
// whitespace set, control characters rejected inside strings) so that a payload
// the reference server rejects as invalid JSON is rejected here too.

// maxDepth bounds nesting like encoding/json does (it also keeps the
// recursive skipper off deep stacks).
const maxDepth = 10000

var errSyntax = errors.New("invalid JSON")

// strSpan locates a string's content (without the quotes) in the input.
type strSpan struct {
	start, end int
	// plain means the bytes are the decoded value as is: no escapes and
	// valid UTF-8 (encoding/json replaces invalid bytes with U+FFFD).
	plain bool
}

// plainByte marks bytes that can be skipped inside a string without a second
// look: printable ASCII other than the quote and the backslash.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// scanString validates the string whose opening quote is b[i] and returns its
// span and the index just past the closing quote.
func scanString(b []byte, i int) (strSpan, int, error) {
	i++
	start := i
	plain, high := true, false
	for i < len(b) {
		c := b[i]
		if plainByte[c] {
			i++
			continue
		}
		switch {
		case c == '"':
			if plain && high && !utf8.Valid(b[start:i]) {
				plain = false
			}
			return strSpan{start: start, end: i, plain: plain}, i + 1, nil
		case c == '\\':
			plain = false
			if i+1 >= len(b) {
				return strSpan{}, i, errSyntax
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					return strSpan{}, i, errSyntax
				}
				i += 6
			default:
				return strSpan{}, i, errSyntax
			}
		case c < 0x20:
			return strSpan{}, i, errSyntax
		default: // non-ASCII byte
			high = true
			i++
		}
	}
	return strSpan{}, i, errSyntax
}

// scanNumber validates a JSON number starting at b[i] and returns its end.
func scanNumber(b []byte, i int) (int, error) {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	default:
		return i, errSyntax
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return i, errSyntax
		}
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return i, errSyntax
		}
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	}
	return i, nil
}

func scanLiteral(b []byte, i int, lit string) (int, error) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, errSyntax
	}
	return i + len(lit), nil
}

// skipValue validates the value starting at b[i] (no leading space) and
// returns the index just past it.
func skipValue(b []byte, i, depth int) (int, error) {
	if i >= len(b) {
		return i, errSyntax
	}
	switch c := b[i]; {
	case c == '"':
		_, next, err := scanString(b, i)
		return next, err
	case c == '{':
		if depth >= maxDepth {
			return i, errSyntax
		}
		it := objIter{b: b, i: i + 1, first: true}
		for {
			_, ok, err := it.next()
			if err != nil {
				return it.i, err
			}
			if !ok {
				return it.i, nil
			}
			if it.i, err = skipValue(b, it.i, depth+1); err != nil {
				return it.i, err
			}
		}
	case c == '[':
		if depth >= maxDepth {
			return i, errSyntax
		}
		it := arrIter{b: b, i: i + 1, first: true}
		for {
			ok, err := it.next()
			if err != nil {
				return it.i, err
			}
			if !ok {
				return it.i, nil
			}
			if it.i, err = skipValue(b, it.i, depth+1); err != nil {
				return it.i, err
			}
		}
	case c == 't':
		return scanLiteral(b, i, "true")
	case c == 'f':
		return scanLiteral(b, i, "false")
	case c == 'n':
		return scanLiteral(b, i, "null")
	case c == '-' || '0' <= c && c <= '9':
		return scanNumber(b, i)
	default:
		return i, errSyntax
	}
}

// objIter walks the members of an object whose '{' has been consumed.
type objIter struct {
	b     []byte
	i     int
	first bool
}

// next reads the next key and the colon, leaving it.i at the value. ok is
// false (and it.i past the '}') when the object ends.
func (it *objIter) next() (key strSpan, ok bool, err error) {
	b := it.b
	i := skipSpace(b, it.i)
	if i >= len(b) {
		it.i = i
		return strSpan{}, false, errSyntax
	}
	if it.first {
		it.first = false
		if b[i] == '}' {
			it.i = i + 1
			return strSpan{}, false, nil
		}
	} else {
		switch b[i] {
		case '}':
			it.i = i + 1
			return strSpan{}, false, nil
		case ',':
			i = skipSpace(b, i+1)
		default:
			it.i = i
			return strSpan{}, false, errSyntax
		}
	}
	if i >= len(b) || b[i] != '"' {
		it.i = i
		return strSpan{}, false, errSyntax
	}
	key, i, err = scanString(b, i)
	if err != nil {
		it.i = i
		return strSpan{}, false, err
	}
	i = skipSpace(b, i)
	if i >= len(b) || b[i] != ':' {
		it.i = i
		return strSpan{}, false, errSyntax
	}
	it.i = skipSpace(b, i+1)
	if it.i >= len(b) {
		return strSpan{}, false, errSyntax
	}
	// it.i is in range: value readers may look at b[it.i] directly.
	return key, true, nil
}

// arrIter walks the elements of an array whose '[' has been consumed.
type arrIter struct {
	b     []byte
	i     int
	first bool
}

// next positions it.i at the next element; ok is false (and it.i past the
// ']') when the array ends.
func (it *arrIter) next() (ok bool, err error) {
	b := it.b
	i := skipSpace(b, it.i)
	if i >= len(b) {
		it.i = i
		return false, errSyntax
	}
	if b[i] == ']' {
		// After a comma the walker sits on a value, so "[1,]" fails in
		// skipValue rather than here.
		it.i = i + 1
		return false, nil
	}
	if !it.first {
		if b[i] != ',' {
			it.i = i
			return false, errSyntax
		}
		if i = skipSpace(b, i+1); i >= len(b) {
			it.i = i
			return false, errSyntax
		}
	}
	it.first = false
	// it.i is in range: element readers may look at b[it.i] directly.
	it.i = i
	return true, nil
}
