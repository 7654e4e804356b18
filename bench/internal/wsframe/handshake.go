package wsframe

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
)

// acceptGUID is the constant RFC 6455 §1.3 appends to the client key.
const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// MaxResponseHeader bounds the 101 response the client is willing to buffer.
const MaxResponseHeader = 8 << 10

// KeyLen is the length of a base64 Sec-WebSocket-Key.
const KeyLen = 24

// Key derives a Sec-WebSocket-Key from a per-process seed and a connection
// index, so the event loop can recompute it when the response arrives
// instead of storing it per connection.
func Key(seed, index uint64) [KeyLen]byte {
	var raw [16]byte
	binary.LittleEndian.PutUint64(raw[:8], seed)
	binary.LittleEndian.PutUint64(raw[8:], index^seed>>7)
	var out [KeyLen]byte
	base64.StdEncoding.Encode(out[:], raw[:])
	return out
}

// Accept computes the Sec-WebSocket-Accept value a server must return for key.
func Accept(key []byte) [28]byte {
	h := sha1.New()
	h.Write(key)
	h.Write([]byte(acceptGUID))
	var sum [sha1.Size]byte
	var out [28]byte
	base64.StdEncoding.Encode(out[:], h.Sum(sum[:0]))
	return out
}

// Request describes the upgrade request.
type Request struct {
	Host     string // Host header value (host:port)
	Path     string // request target, including any query
	Origin   string // optional
	Protocol string // optional Sec-WebSocket-Protocol
	// Extensions is an optional Sec-WebSocket-Extensions offer
	// (loadgen --deflate offers permessage-deflate).
	Extensions string
}

// AppendRequest appends the HTTP/1.1 upgrade request for key.
func AppendRequest(dst []byte, r *Request, key []byte) []byte {
	dst = append(dst, "GET "...)
	dst = append(dst, r.Path...)
	dst = append(dst, " HTTP/1.1\r\nHost: "...)
	dst = append(dst, r.Host...)
	dst = append(dst, "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "...)
	dst = append(dst, key...)
	if r.Origin != "" {
		dst = append(dst, "\r\nOrigin: "...)
		dst = append(dst, r.Origin...)
	}
	if r.Protocol != "" {
		dst = append(dst, "\r\nSec-WebSocket-Protocol: "...)
		dst = append(dst, r.Protocol...)
	}
	if r.Extensions != "" {
		dst = append(dst, "\r\nSec-WebSocket-Extensions: "...)
		dst = append(dst, r.Extensions...)
	}
	return append(dst, "\r\n\r\n"...)
}

// Response is what the client checks in the server's answer.
type Response struct {
	Status     int
	Upgrade    bool   // Upgrade: websocket
	Connection bool   // Connection contains "upgrade"
	Accept     []byte // aliases the input
	Protocol   []byte // aliases the input; nil when absent
}

// Handshake errors.
var (
	ErrHeaderTooLarge = errors.New("wsframe: response header too large")
	ErrMalformed      = errors.New("wsframe: malformed response")
)

// ParseResponse parses the HTTP response head at the start of b. n == 0
// with a nil error means the head is not complete yet.
func ParseResponse(b []byte) (r Response, n int, err error) {
	end := bytes.Index(b, []byte("\r\n\r\n"))
	if end < 0 {
		if len(b) > MaxResponseHeader {
			return r, 0, ErrHeaderTooLarge
		}
		return r, 0, nil
	}
	head := b[:end]
	// Lines end with CRLF; a bare CR or LF would hide a header from this
	// reader that another reads (net/http takes a bare LF as a line end).
	if bytes.Count(head, []byte("\r")) != bytes.Count(head, []byte("\n")) ||
		bytes.Count(head, []byte("\r\n")) != bytes.Count(head, []byte("\n")) {
		return r, 0, ErrMalformed
	}
	line, rest, _ := bytes.Cut(head, []byte("\r\n"))
	// "HTTP/1.1 101 Switching Protocols"
	if !bytes.HasPrefix(line, []byte("HTTP/1.")) || len(line) < 12 || line[8] != ' ' {
		return r, 0, ErrMalformed
	}
	for _, c := range line[9:12] {
		if c < '0' || c > '9' {
			return r, 0, ErrMalformed
		}
		r.Status = r.Status*10 + int(c-'0')
	}
	for len(rest) > 0 {
		var h []byte
		h, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		name, value, ok := bytes.Cut(h, []byte(":"))
		// A line that starts with whitespace continues the previous
		// header (obsolete folding, which net/http joins to it): refused
		// rather than read as a header of its own.
		if !ok || h[0] == ' ' || h[0] == '\t' {
			return r, 0, ErrMalformed
		}
		value = bytes.Trim(value, " \t") // optional whitespace is SP and HTAB only
		switch {
		case bytes.EqualFold(name, []byte("Upgrade")):
			r.Upgrade = bytes.EqualFold(value, []byte("websocket"))
		case bytes.EqualFold(name, []byte("Connection")):
			r.Connection = containsTokenFold(value, "upgrade")
		case bytes.EqualFold(name, []byte("Sec-WebSocket-Accept")):
			r.Accept = value
		case bytes.EqualFold(name, []byte("Sec-WebSocket-Protocol")):
			r.Protocol = value
		}
	}
	return r, end + 4, nil
}

// Check validates a parsed response against the key and protocol the
// client sent.
func (r *Response) Check(key []byte, protocol string) error {
	if r.Status != 101 {
		return fmt.Errorf("wsframe: status %d", r.Status)
	}
	if !r.Upgrade || !r.Connection {
		return errors.New("wsframe: missing upgrade headers")
	}
	want := Accept(key)
	if !bytes.Equal(r.Accept, want[:]) {
		return errors.New("wsframe: bad Sec-WebSocket-Accept")
	}
	if protocol != "" && string(r.Protocol) != protocol {
		return fmt.Errorf("wsframe: server chose protocol %q, want %q", r.Protocol, protocol)
	}
	return nil
}

// containsTokenFold reports whether a comma-separated header value holds tok.
func containsTokenFold(v []byte, tok string) bool {
	for len(v) > 0 {
		var part []byte
		part, v, _ = bytes.Cut(v, []byte(","))
		if bytes.EqualFold(bytes.Trim(part, " \t"), []byte(tok)) {
			return true
		}
	}
	return false
}
