package frames

import "bytes"

// HeaderLine splits the next header field off rest, a request head after
// its request line. A line ends at LF, a CR before it dropped (RFC 9112
// §2.2 lets a recipient take a bare LF, as net/http and gobwas/ws do). end
// reports the blank line that ends the head. ok is false for a malformed line (no colon, or a name
// that is not a token); next then skips it. The value is trimmed of spaces
// and tabs. It is the one scanner of header lines: the poller's head router
// and held requests, and the upgrade's fast path, all read heads with it.
func HeaderLine(rest []byte) (name, value, next []byte, end, ok bool) {
	line, next, _ := bytes.Cut(rest, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	if len(line) == 0 {
		return nil, nil, next, true, true
	}
	name, value, found := bytes.Cut(line, []byte(":"))
	if !found || len(name) == 0 {
		return nil, nil, next, false, false
	}
	for _, ch := range name {
		if !IsTokenChar(ch) {
			return nil, nil, next, false, false
		}
	}
	return name, bytes.Trim(value, " \t"), next, false, true
}

// IsTokenChar reports whether ch may appear in a token (RFC 9110 tchar): a
// method, a header name, a sub-protocol.
func IsTokenChar(ch byte) bool {
	switch {
	case ch >= 'a' && ch <= 'z', ch >= 'A' && ch <= 'Z', ch >= '0' && ch <= '9':
		return true
	}
	switch ch {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// EqualFold compares ASCII b with lower-case s, ignoring b's case.
func EqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// PlainTarget reports an origin-form request target that needs no parsing:
// "/" then only unreserved characters, "/", "?", "=" and "&" (no escapes,
// no fragment), which url.ParseRequestURI, net/http and gobwas/ws all take
// as is. The upgrade's fast path and held requests skip their general
// parsers for it; anything else goes through them.
func PlainTarget(uri []byte) bool {
	if len(uri) == 0 || uri[0] != '/' {
		return false
	}
	for _, c := range uri {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-' || c == '.' || c == '_' || c == '~' || c == '/' || c == '?' || c == '=' || c == '&':
		default:
			return false
		}
	}
	return true
}
