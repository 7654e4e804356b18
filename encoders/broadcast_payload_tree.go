package encoders

import (
	"bytes"
	"slices"

	"github.com/densecable/densecable/encoders/jsonkit"
)

// canonTree is BroadcastPayload's path for documents with unsorted objects.
// Sorting members in place while writing would copy a nested object's text
// once per unsorted ancestor (quadratic on deep input); instead the document
// is parsed into a flat pre-order node list whose scalars and keys are already
// in canonical text, and then written out with each object's members sorted.
type canonTree struct {
	text  []byte  // canonical text of scalars and keys
	keys  []byte  // decoded keys, for sorting
	nodes []cnode // pre-order
	order []int   // member indices being sorted (a stack)

	scalars canonicalizer // writes scalar values
}

type cnode struct {
	kind       byte // '{', '[' or 0 for a scalar
	start, end int  // scalar text in text
	next       int  // index of the node after this subtree
	// For object members: the key's canonical text in text and decoded form
	// in keys.
	kStart, kEnd int
	dStart, dEnd int
}

func (t *canonTree) document(dst []byte, s string) ([]byte, bool) {
	i, ok := t.value(s, jsonkit.SkipSpace(s, 0), 0)
	if !ok || jsonkit.SkipSpace(s, i) != len(s) {
		return dst, false
	}
	return t.emit(dst, 0), true
}

// value parses the value at s[i] into nodes.
func (t *canonTree) value(s string, i, depth int) (int, bool) {
	if i >= len(s) {
		return i, false
	}
	idx := len(t.nodes)
	t.nodes = append(t.nodes, cnode{})
	switch c := s[i]; c {
	case '{', '[':
		if depth+1 > jsonkit.MaxDepth {
			return i, false
		}
		t.nodes[idx].kind = c
		var ok bool
		if i, ok = t.container(s, i, depth+1, c == '{'); !ok {
			return i, false
		}
	default:
		start := len(t.text)
		var (
			end int
			ok  bool
		)
		if t.text, end, ok = t.scalars.value(t.text, s, i, depth); !ok {
			return i, false
		}
		i = end
		t.nodes[idx].start, t.nodes[idx].end = start, len(t.text)
	}
	t.nodes[idx].next = len(t.nodes)
	return i, true
}

func (t *canonTree) container(s string, i, depth int, obj bool) (int, bool) {
	closing := byte(']')
	if obj {
		closing = '}'
	}
	i = jsonkit.SkipSpace(s, i+1)
	if i < len(s) && s[i] == closing {
		return i + 1, true
	}
	for {
		var kStart, kEnd, dStart, dEnd int
		if obj {
			if i >= len(s) || s[i] != '"' {
				return i, false
			}
			si, err := jsonkit.ScanString(s, i)
			if err != nil {
				return i, false
			}
			body := s[si.Body : si.End-1]
			dStart = len(t.keys)
			t.keys = jsonkit.AppendUnescaped(t.keys, body, si)
			dEnd = len(t.keys)
			kStart = len(t.text)
			t.text = appendCanonicalString(t.text, body, si)
			kEnd = len(t.text)
			i = jsonkit.SkipSpace(s, si.End)
			if i >= len(s) || s[i] != ':' {
				return i, false
			}
			i = jsonkit.SkipSpace(s, i+1)
		}
		child := len(t.nodes)
		var ok bool
		if i, ok = t.value(s, i, depth); !ok {
			return i, false
		}
		if obj {
			n := &t.nodes[child]
			n.kStart, n.kEnd, n.dStart, n.dEnd = kStart, kEnd, dStart, dEnd
		}
		i = jsonkit.SkipSpace(s, i)
		if i >= len(s) {
			return i, false
		}
		switch s[i] {
		case ',':
			i = jsonkit.SkipSpace(s, i+1)
		case closing:
			return i + 1, true
		default:
			return i, false
		}
	}
}

func (t *canonTree) key(idx int) []byte {
	n := &t.nodes[idx]
	return t.keys[n.dStart:n.dEnd]
}

// emit writes node idx; objects get their members sorted by decoded key, the
// last of equal keys winning (encoding/json's map semantics).
func (t *canonTree) emit(dst []byte, idx int) []byte {
	n := t.nodes[idx]
	switch n.kind {
	case 0:
		return append(dst, t.text[n.start:n.end]...)
	case '[':
		dst = append(dst, '[')
		for c := idx + 1; c < n.next; c = t.nodes[c].next {
			if c > idx+1 {
				dst = append(dst, ',')
			}
			dst = t.emit(dst, c)
		}
		return append(dst, ']')
	}
	base := len(t.order)
	for c := idx + 1; c < n.next; c = t.nodes[c].next {
		t.order = append(t.order, c)
	}
	members := t.order[base:]
	// A stable sort keeps input order among equal keys, so the last of a
	// run is the one encoding/json keeps.
	slices.SortStableFunc(members, func(a, b int) int { return bytes.Compare(t.key(a), t.key(b)) })
	dst = append(dst, '{')
	wrote := false
	for k, c := range members {
		if k+1 < len(members) && bytes.Equal(t.key(c), t.key(members[k+1])) {
			continue
		}
		if wrote {
			dst = append(dst, ',')
		}
		wrote = true
		m := t.nodes[c]
		dst = append(append(dst, t.text[m.kStart:m.kEnd]...), ':')
		dst = t.emit(dst, c)
	}
	t.order = t.order[:base]
	return append(dst, '}')
}
