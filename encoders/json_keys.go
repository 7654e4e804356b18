package encoders

import (
	"unicode"
	"unicode/utf8"

	"github.com/densecable/densecable/encoders/jsonkit"
)

// Object keys are matched like encoding/json matches struct fields: an exact
// match first, then a case-insensitive one using Unicode simple folding (so
// "COMMAND" and "ſince" match too, as they do in the reference server).

var (
	commandKeys  = [...]string{"command", "identifier", "data", "history", "presence"}
	historyKeys  = [...]string{"since", "streams"}
	positionKeys = [...]string{"epoch", "offset"}
	presenceKeys = [...]string{"id", "info"}
)

const (
	keyCommand = iota
	keyIdentifier
	keyData
	keyHistory
	keyPresence
)

const (
	keySince = iota
	keyStreams
)

const (
	keyEpoch = iota
	keyOffset
)

const (
	keyID = iota
	keyInfo
)

// maxMatchKeyLen bounds the decoded length of a key that can still match one
// of the field names above (a folded letter takes at most 3 bytes).
const maxMatchKeyLen = 48

// matchKey returns the index in names of the JSON key at b[si.Body:si.End-1],
// or -1.
func matchKey(b []byte, si jsonkit.Str, names []string) int {
	raw := b[si.Body : si.End-1]
	if !si.Escaped() {
		for k, n := range names {
			if string(raw) == n {
				return k
			}
		}
		if si.ASCII() && len(raw) > maxMatchKeyLen/3 {
			return -1
		}
	}
	if len(raw) > 6*maxMatchKeyLen {
		return -1
	}
	var kb [6 * maxMatchKeyLen]byte
	key := jsonkit.AppendUnescaped(kb[:0], raw, si)
	if len(key) > maxMatchKeyLen {
		return -1
	}
	for k, n := range names {
		if string(key) == n {
			return k
		}
	}
	var fb [2 * maxMatchKeyLen]byte
	folded := appendFoldedKey(fb[:0], key)
	for k, n := range names {
		if equalUpperASCII(folded, n) {
			return k
		}
	}
	return -1
}

// appendFoldedKey folds like encoding/json's foldName: ASCII letters to upper
// case, other runes to the smallest rune of their simple-fold orbit.
func appendFoldedKey(dst, key []byte) []byte {
	for i := 0; i < len(key); {
		c := key[i]
		if c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(key[i:])
		dst = utf8.AppendRune(dst, foldRune(r))
		i += n
	}
	return dst
}

func foldRune(r rune) rune {
	for {
		r2 := unicode.SimpleFold(r)
		if r2 <= r {
			return r2
		}
		r = r2
	}
}

// equalUpperASCII compares folded bytes with name (lower-case ASCII).
func equalUpperASCII(folded []byte, name string) bool {
	if len(folded) != len(name) {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		if folded[i] != c {
			return false
		}
	}
	return true
}
