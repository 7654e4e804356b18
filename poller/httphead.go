package poller

import (
	"bytes"
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/densecable/densecable/frames"
)

// HTTPRequest is a plain (non-upgrade) request the engine holds for a
// HTTPHandler: its head parsed, its body read in full. Everything but Body
// is owned by the callee; Body aliases a read buffer and is only valid
// during ServeHeld (copy what you keep).
type HTTPRequest struct {
	Method string
	// Request holds the URI, Host and headers (keys lower-cased), the same
	// shape a WebSocket upgrade produces, so that sessions see one kind of
	// request whatever the transport.
	frames.Request
	// Minor is the HTTP/1.x minor version.
	Minor int
	// Close: the client asked to close after this response (Connection:
	// close, or HTTP/1.0 without keep-alive).
	Close bool
	Body  []byte

	contentLength int  // -1 when absent
	chunked       bool // Transfer-Encoding present (not supported)
}

var (
	errHeadLine   = errors.New("malformed request line")
	errHeadHeader = errors.New("malformed header")
	errHeadLength = errors.New("malformed content-length")
)

// methodName is method as a string, the usual ones without an allocation.
func methodName(method []byte) string {
	for _, m := range [...]string{"GET", "POST", "OPTIONS", "HEAD", "PUT", "DELETE"} {
		if string(method) == m {
			return m
		}
	}
	return string(method)
}

// parseRequestHead parses a complete head (up to and including the blank
// line): request line, headers, the framing of the body and whether the
// connection persists. It refuses what net/http refuses for these fields:
// a target that is not a request URI, header names that are not tokens,
// control bytes in values, and conflicting or non-numeric Content-Length.
func parseRequestHead(head []byte) (*HTTPRequest, error) {
	line, rest, ok := bytes.Cut(head, []byte("\r\n"))
	if !ok {
		return nil, errHeadLine
	}
	method, rl, ok1 := bytes.Cut(line, []byte(" "))
	uri, version, ok2 := bytes.Cut(rl, []byte(" "))
	if !ok1 || !ok2 || len(method) == 0 || len(version) != len("HTTP/1.1") || !bytes.HasPrefix(version, []byte("HTTP/1.")) {
		return nil, errHeadLine
	}
	for _, ch := range method {
		if !frames.IsTokenChar(ch) {
			return nil, errHeadLine
		}
	}
	minor := int(version[7]) - '0'
	if minor < 0 || minor > 9 {
		return nil, errHeadLine
	}
	if !frames.PlainTarget(uri) {
		if _, err := url.ParseRequestURI(string(uri)); err != nil {
			return nil, errHeadLine
		}
	}
	r := &HTTPRequest{Method: methodName(method), Minor: minor, contentLength: -1}
	r.URI = string(uri)
	// Sized once: a long poll's request comes every --poll_interval, and
	// a slice grown header by header was a good part of its garbage.
	r.Headers = make([]frames.Header, 0, bytes.Count(rest, []byte("\r\n")))
	keepAlive, closeAsked := false, false
	for len(rest) > 0 {
		k, v, next, end, ok := frames.HeaderLine(rest)
		if end {
			break
		}
		if !ok {
			return nil, errHeadHeader
		}
		rest = next
		if !validValue(v) {
			return nil, errHeadHeader
		}
		key := headerKey(k)
		val := string(v)
		switch key {
		case "host":
			if r.Host == "" {
				r.Host = val
			}
		case "content-length":
			n, err := strconv.ParseUint(val, 10, 31)
			if err != nil || (r.contentLength >= 0 && r.contentLength != int(n)) {
				return nil, errHeadLength
			}
			r.contentLength = int(n)
		case "transfer-encoding":
			r.chunked = true
		case "connection":
			for _, tok := range strings.Split(val, ",") {
				switch strings.ToLower(strings.TrimSpace(tok)) {
				case "close":
					closeAsked = true
				case "keep-alive":
					keepAlive = true
				}
			}
		}
		r.Headers = append(r.Headers, frames.Header{Key: key, Value: val})
	}
	r.Close = closeAsked || (minor == 0 && !keepAlive)
	return r, nil
}

// commonKeys are the lower-case names of the headers most requests carry:
// headerKey returns these strings instead of building a copy per request.
var commonKeys = []string{
	"host", "origin", "accept", "cookie", "referer", "connection", "user-agent", "content-type",
	"content-length", "accept-encoding", "accept-language", "cache-control", "pragma",
	"x-request-id", "x-anycable-poll-id", "last-event-id", "authorization",
}

// headerKey is k lower-cased, a shared string for the common names.
func headerKey(k []byte) string {
	for _, c := range commonKeys {
		if len(c) == len(k) && bytes.EqualFold(k, []byte(c)) {
			return c
		}
	}
	return strings.ToLower(string(k))
}

// validValue refuses control bytes other than HTAB, as net/http does.
func validValue(v []byte) bool {
	for _, c := range v {
		if (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
