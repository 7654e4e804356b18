package broker

import "bytes"

// keyIs reports whether a decoded object key selects the field name, using
// encoding/json's rule: bytes.EqualFold, so "Stream" and "STREAM" match and
// so do the Unicode folds of s and k (U+017F, U+212A). name is lower-case
// ASCII.
func keyIs(key []byte, name string) bool {
	if len(key) == len(name) {
		for i := 0; i < len(key); i++ {
			c := key[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != name[i] {
				return false
			}
		}
		return true
	}
	// Only a non-ASCII fold can make lengths differ; that is rare enough to
	// pay for the general comparison.
	if len(key) > len(name) && len(key) <= 3*len(name) && hasNonASCII(key) {
		return bytes.EqualFold(key, []byte(name))
	}
	return false
}

func hasNonASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}
