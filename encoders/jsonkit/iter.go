package jsonkit

import "unsafe"

// Object and array walkers for callers that read a few members in place and
// skip the rest, without building a tree. A walker validates the structure
// between values; the caller reads or skips (SkipValue) each value and
// stores the index after it back in the walker's I.

// ObjIter walks the members of an object whose '{' is at b[i]:
// ObjIter{B: b, I: i + 1}.
type ObjIter struct {
	B       []byte
	I       int
	started bool
}

// Next reads the next key and the colon, leaving it.I at the value (in
// range, so readers may look at B[I] directly). ok is false, and it.I past
// the '}', when the object ends.
func (it *ObjIter) Next() (key Str, ok bool, err error) {
	b := it.B
	i := SkipSpace(b, it.I)
	if i >= len(b) {
		it.I = i
		return Str{}, false, SyntaxErrAt(i)
	}
	if !it.started {
		it.started = true
		if b[i] == '}' {
			it.I = i + 1
			return Str{}, false, nil
		}
	} else {
		switch b[i] {
		case '}':
			it.I = i + 1
			return Str{}, false, nil
		case ',':
			i = SkipSpace(b, i+1)
		default:
			it.I = i
			return Str{}, false, SyntaxErrAt(i)
		}
	}
	if i >= len(b) || b[i] != '"' {
		it.I = i
		return Str{}, false, SyntaxErrAt(i)
	}
	if key, err = ScanString(b, i); err != nil {
		it.I = i
		return Str{}, false, err
	}
	i = SkipSpace(b, key.End)
	if i >= len(b) || b[i] != ':' {
		it.I = i
		return Str{}, false, SyntaxErrAt(i)
	}
	if it.I = SkipSpace(b, i+1); it.I >= len(b) {
		return Str{}, false, SyntaxErrAt(it.I)
	}
	return key, true, nil
}

// ArrIter walks the elements of an array whose '[' is at b[i]:
// ArrIter{B: b, I: i + 1}.
type ArrIter struct {
	B       []byte
	I       int
	started bool
}

// Next positions it.I at the next element (in range); ok is false, and it.I
// past the ']', when the array ends.
func (it *ArrIter) Next() (ok bool, err error) {
	b := it.B
	i := SkipSpace(b, it.I)
	if i >= len(b) {
		it.I = i
		return false, SyntaxErrAt(i)
	}
	if b[i] == ']' {
		// After a comma the walker sits on a value, so "[1,]" fails in
		// the caller's SkipValue rather than here.
		it.I = i + 1
		return false, nil
	}
	if it.started {
		if b[i] != ',' {
			it.I = i
			return false, SyntaxErrAt(i)
		}
		if i = SkipSpace(b, i+1); i >= len(b) {
			it.I = i
			return false, SyntaxErrAt(i)
		}
	}
	it.started = true
	it.I = i
	return true, nil
}

// DecodeString returns the text of the string s scanned in b with a single
// allocation: a verbatim body is copied, any other is unquoted into a fresh
// buffer that becomes the string (the trick strings.Builder uses; the buffer
// is never touched again).
func DecodeString(b []byte, s Str) string {
	raw := s.Raw(b)
	if s.Verbatim() {
		return string(raw)
	}
	out := AppendUnescaped(make([]byte, 0, len(raw)), raw, s)
	if len(out) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(out), len(out))
}

// Key is an object key as JSON.parse reads it: escapes decoded, for an
// exact comparison. An unescaped key is a view of b (no allocation; compare
// it, do not keep it).
func Key(b []byte, k Str) string {
	if k.Escaped() {
		return DecodeString(b, k)
	}
	return BytesView(k.Raw(b))
}

// EachMember walks the object whose '{' is at b[i]: fn gets each key and the
// index of its value (in range) and returns the index after the value. It
// returns the index after the '}'. fn is called in place, so a closure over
// the caller's locals does not allocate.
func EachMember(b []byte, i int, fn func(key Str, v int) (int, error)) (int, error) {
	it := ObjIter{B: b, I: i + 1}
	for {
		k, ok, err := it.Next()
		if err != nil || !ok {
			return it.I, err
		}
		if it.I, err = fn(k, it.I); err != nil {
			return it.I, err
		}
	}
}
