package frames

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
)

// The handshake fields the fast path checks (each at most once).
const (
	seenHost uint8 = 1 << iota
	seenUpgrade
	seenConnection
	seenVersion
	seenKey
	seenProtocol
	seenExtensions
	seenRequired = seenHost | seenUpgrade | seenConnection | seenVersion | seenKey
)

const (
	upgradeHead = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "
	acceptGUID  = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
)

// fastUpgrade completes the handshake of a plain, valid upgrade request
// straight from the head's bytes: one pass over the lines, the accept key
// hashed on the stack, the 101 appended into one exact allocation. It
// declines (ok false) anything it does not take as is: a refusal, HTTP
// versions other than 1.1, a target that needs unescaping, a repeated
// handshake field, a compression offer to negotiate. The general path
// (gobwas) then answers exactly as before; FuzzFastUpgrade checks that
// both agree whenever the fast path answers.
func fastUpgrade(head []byte, opts *UpgradeOptions) (req *Request, resp []byte, ok bool) {
	if !bytes.HasSuffix(head, []byte("\r\n\r\n")) {
		return nil, nil, false
	}
	line, rest, found := bytes.Cut(head, []byte("\r\n"))
	if !found || len(line) <= len("GET  HTTP/1.1") || !bytes.HasPrefix(line, []byte("GET ")) || !bytes.HasSuffix(line, []byte(" HTTP/1.1")) {
		return nil, nil, false
	}
	uri := line[len("GET ") : len(line)-len(" HTTP/1.1")]
	if !PlainTarget(uri) {
		return nil, nil, false
	}
	req = &Request{URI: string(uri)}
	var seen uint8
	var key, protocols []byte
	for {
		k, v, next, end, good := HeaderLine(rest)
		if !good || !validHeaderValue(v) {
			return nil, nil, false
		}
		if end {
			break
		}
		rest = next
		var bit uint8
		switch {
		case EqualFold(k, "host"):
			bit = seenHost
			req.Host = string(v)
		case EqualFold(k, "upgrade"):
			bit = seenUpgrade
			if !EqualFold(v, "websocket") {
				return nil, nil, false
			}
		case EqualFold(k, "connection"):
			bit = seenConnection
			if !hasToken(v, "upgrade") {
				return nil, nil, false
			}
		case EqualFold(k, "sec-websocket-version"):
			bit = seenVersion
			if string(v) != "13" {
				return nil, nil, false
			}
		case EqualFold(k, "sec-websocket-key"):
			bit = seenKey
			key = v
		case EqualFold(k, "sec-websocket-protocol"):
			bit = seenProtocol
			protocols = v
		case EqualFold(k, "sec-websocket-extensions"):
			// Without compression the offer is ignored (not a header the
			// application sees); with it, negotiation is the general path's.
			if opts.Compression {
				return nil, nil, false
			}
			bit = seenExtensions
		default:
			req.Headers = append(req.Headers, Header{Key: lowerKey(k), Value: string(v)})
		}
		if seen&bit != 0 {
			return nil, nil, false
		}
		seen |= bit
	}
	if seen&seenRequired != seenRequired || !validKey(key) {
		return nil, nil, false
	}
	if seen&seenProtocol != 0 {
		var agreed bool
		if req.Protocol, req.Token, agreed = pickProtocol(protocols, opts.Protocols); !agreed {
			return nil, nil, false
		}
	}
	if opts.RequireProtocol && req.Protocol == "" {
		return nil, nil, false
	}
	if opts.CheckOrigin != nil && !opts.CheckOrigin(req.Get("origin")) {
		return nil, nil, false
	}
	return req, appendUpgradeResponse(key, req.Protocol, opts.ResponseHeaders), true
}

// appendUpgradeResponse is the 101 for key, in one allocation of its size.
func appendUpgradeResponse(key []byte, protocol string, extra map[string]string) []byte {
	n := len(upgradeHead) + 28 + 2 + 2
	if protocol != "" {
		n += len("Sec-WebSocket-Protocol: ") + len(protocol) + 2
	}
	for k, v := range extra {
		n += len(k) + 2 + len(v) + 2
	}
	resp := make([]byte, 0, n)
	resp = append(resp, upgradeHead...)
	resp = appendAccept(resp, key)
	resp = append(resp, "\r\n"...)
	if protocol != "" {
		resp = append(resp, "Sec-WebSocket-Protocol: "...)
		resp = append(resp, protocol...)
		resp = append(resp, "\r\n"...)
	}
	for k, v := range extra {
		resp = append(resp, k...)
		resp = append(resp, ": "...)
		resp = append(resp, v...)
		resp = append(resp, "\r\n"...)
	}
	return append(resp, "\r\n"...)
}

// appendAccept appends Sec-WebSocket-Accept for key (RFC 6455 §4.2.2),
// hashing on the stack.
func appendAccept(dst, key []byte) []byte {
	var in [24 + len(acceptGUID)]byte
	n := copy(in[:], key)
	n += copy(in[n:], acceptGUID)
	sum := sha1.Sum(in[:n])
	var out [28]byte
	base64.StdEncoding.Encode(out[:], sum[:])
	return append(dst, out[:]...)
}

// validKey: 24 bytes of base64 for 16 bytes, as the general path checks.
func validKey(key []byte) bool {
	if len(key) != 24 {
		return false
	}
	var raw [18]byte
	n, err := base64.StdEncoding.Decode(raw[:], key)
	return err == nil && n == 16
}

// hasToken reports whether the comma-separated list v holds token
// (lower case), ignoring case; a malformed list is not recognised.
func hasToken(v []byte, token string) bool {
	has := false
	ok := eachToken(v, func(t []byte) {
		if EqualFold(t, token) {
			has = true
		}
	})
	return ok && has
}

// eachToken calls f with every element of a comma-separated token list
// (RFC 9110 #token, spaces and tabs around commas); false means the list
// is not such a list (the general path judges it).
func eachToken(v []byte, f func([]byte)) bool {
	for len(v) > 0 {
		var t []byte
		t, v, _ = bytes.Cut(v, []byte(","))
		t = bytes.Trim(t, " \t")
		if len(t) == 0 {
			return false
		}
		for _, c := range t {
			if !IsTokenChar(c) {
				return false
			}
		}
		f(t)
	}
	return true
}

// pickProtocol chooses the sub-protocol as the general path does: the
// server's first preference the client offered; and the token of the first
// anycable-token.* entry.
func pickProtocol(v []byte, prefs []string) (protocol, token string, ok bool) {
	best := len(prefs)
	ok = eachToken(v, func(t []byte) {
		if token == "" && bytes.HasPrefix(t, []byte(TokenProtocolPrefix)) && len(t) > len(TokenProtocolPrefix) {
			token = string(t[len(TokenProtocolPrefix):])
		}
		for i := 0; i < best; i++ {
			if string(t) == prefs[i] {
				best = i
				break
			}
		}
	})
	if best < len(prefs) {
		protocol = prefs[best]
	}
	return protocol, token, ok
}

// lowerKey is a header name in lower case; the common ones are constants
// (no allocation).
func lowerKey(k []byte) string {
	var buf [32]byte
	if len(k) > len(buf) {
		return string(bytes.ToLower(k))
	}
	for i, c := range k {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	if s, ok := commonKeys[string(buf[:len(k)])]; ok {
		return s
	}
	return string(buf[:len(k)])
}

// commonKeys interns the header names browsers and proxies send with an
// upgrade (read-only).
var commonKeys = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{
		"origin", "user-agent", "cookie", "accept", "accept-encoding", "accept-language",
		"cache-control", "pragma", "authorization", "referer", "x-request-id",
		"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-real-ip", "forwarded",
		"sec-fetch-dest", "sec-fetch-mode", "sec-fetch-site", "dnt", "priority",
	} {
		m[k] = k
	}
	return m
}()
