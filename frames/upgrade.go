package frames

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/url"
	"strings"

	"github.com/gobwas/httphead"
	"github.com/gobwas/ws"
)

// Request is what the server keeps of an upgrade request.
type Request struct {
	URI     string // path and query as sent
	Host    string
	Headers []Header // every header but the WebSocket ones, keys lower-cased
	// Protocol is the negotiated sub-protocol ("" when none was agreed).
	Protocol string
	// Token is the value of the first anycable-token.<TOKEN> sub-protocol.
	Token string
	// Deflate says permessage-deflate was agreed: frames may carry RSV1
	// and messages go out through DeflateFramer (each compressed on its
	// own, with or without context takeover).
	Deflate bool
	// DeflateWindowBits is the client's LZ77 window when it may compress
	// with context takeover (UpgradeOptions.ContextTakeover); 0 when every
	// client message is compressed on its own.
	DeflateWindowBits int
}

// Header is one request header.
type Header struct{ Key, Value string }

// Get returns the first value of the header with the lower-case name key.
func (r *Request) Get(key string) string {
	for i := range r.Headers {
		if r.Headers[i].Key == key {
			return r.Headers[i].Value
		}
	}
	return ""
}

// Path is the URI without the query.
func (r *Request) Path() string {
	if i := strings.IndexByte(r.URI, '?'); i >= 0 {
		return r.URI[:i]
	}
	return r.URI
}

// Query parses the URI's query string.
func (r *Request) Query() url.Values {
	i := strings.IndexByte(r.URI, '?')
	if i < 0 {
		return url.Values{}
	}
	v, _ := url.ParseQuery(r.URI[i+1:])
	return v
}

// QueryValue is Query().Get(key) without building the map: a query with
// no escapes is read in place (NewSession looks up two parameters for
// every connection).
func (r *Request) QueryValue(key string) string {
	i := strings.IndexByte(r.URI, '?')
	if i < 0 {
		return ""
	}
	q := r.URI[i+1:]
	if len(q) > 4096 || strings.ContainsAny(q, "%+;") {
		return r.Query().Get(key)
	}
	for q != "" {
		var pair string
		pair, q, _ = strings.Cut(q, "&")
		if k, v, _ := strings.Cut(pair, "="); k == key && pair != "" {
			return v
		}
	}
	return ""
}

// UpgradeOptions controls the handshake.
type UpgradeOptions struct {
	// Protocols in server preference order; the first one the client also
	// offered wins, whatever the client's order.
	Protocols []string
	// CheckOrigin rejects the upgrade with 403 when it returns false. It gets
	// the raw Origin header value ("" when absent).
	CheckOrigin func(origin string) bool
	// ResponseHeaders are added to the 101 response.
	ResponseHeaders map[string]string
	// RequireProtocol refuses (400) a client that offered none of
	// Protocols: an endpoint whose only language is a sub-protocol (OCPP).
	RequireProtocol bool
	// Compression accepts a permessage-deflate offer (deflate.go).
	Compression bool
	// ContextTakeover lets a compressing client keep its window between
	// messages (--ws_compression_context_takeover; deflate.go).
	ContextTakeover bool
}

// TokenProtocolPrefix marks a sub-protocol entry that carries a JWT.
const TokenProtocolPrefix = "anycable-token."

type headRW struct {
	io.Reader
	io.Writer
}

// Upgrade performs the server side of the handshake for the request head
// (the bytes up to and including the blank line) and returns the response
// bytes to send. On error the response (a 4xx) is still returned. head is
// not retained: it may alias a read buffer.
func Upgrade(head []byte, opts *UpgradeOptions) (*Request, []byte, error) {
	if req, resp, ok := fastUpgrade(head, opts); ok {
		return req, resp, nil
	}
	return generalUpgrade(head, opts)
}

// generalUpgrade is the handshake of any request, refusals included, with
// gobwas/ws's upgrader (fastUpgrade takes the plain valid ones).
func generalUpgrade(head []byte, opts *UpgradeOptions) (*Request, []byte, error) {
	req := &Request{}
	var out bytes.Buffer
	var offered []string
	u := ws.Upgrader{
		OnRequest: func(uri []byte) error {
			// gobwas takes an empty or non-URI target; net/http (the
			// reference's server) answers 400.
			if _, err := url.ParseRequestURI(string(uri)); err != nil {
				return errBadRequest
			}
			req.URI = string(uri)
			return nil
		},
		OnHost: func(host []byte) error {
			req.Host = string(host)
			return nil
		},
		ProtocolCustom: func(v []byte) (string, bool) {
			httphead.ScanTokens(v, func(tok []byte) bool {
				offered = append(offered, string(tok))
				return true
			})
			for _, p := range offered {
				if req.Token == "" && strings.HasPrefix(p, TokenProtocolPrefix) {
					req.Token = p[len(TokenProtocolPrefix):]
				}
			}
			for _, want := range opts.Protocols {
				for _, p := range offered {
					if p == want {
						return want, true
					}
				}
			}
			// ok=false would mean "malformed header" to gobwas; no match
			// is fine: the upgrade goes on without a protocol.
			return "", true
		},
		OnHeader: func(key, value []byte) error {
			if !validHeaderValue(value) {
				return errBadRequest
			}
			req.Headers = append(req.Headers, Header{Key: strings.ToLower(string(key)), Value: string(value)})
			return nil
		},
		OnBeforeUpgrade: func() (ws.HandshakeHeader, error) {
			// gobwas checks only the key's length (and does not show it to
			// OnHeader): it must be 16 bytes in base64.
			if k, err := base64.StdEncoding.DecodeString(headerValue(head, "sec-websocket-key")); err != nil || len(k) != 16 {
				return nil, errBadRequest
			}
			if opts.RequireProtocol && !offersAny(offered, opts.Protocols) {
				return nil, errBadRequest
			}
			if opts.CheckOrigin != nil && !opts.CheckOrigin(req.Get("origin")) {
				return nil, ws.RejectConnectionError(ws.RejectionStatus(403), ws.RejectionReason("Forbidden"))
			}
			if len(opts.ResponseHeaders) == 0 {
				return nil, nil
			}
			return responseHeaders(opts.ResponseHeaders), nil
		},
	}
	offer := deflateOffer{takeover: opts.ContextTakeover}
	if opts.Compression {
		u.Negotiate = offer.negotiate
	}
	hs, err := u.Upgrade(headRW{Reader: bytes.NewReader(head), Writer: &out})
	if err != nil {
		return req, out.Bytes(), err
	}
	req.Protocol = hs.Protocol
	req.Deflate = offer.accepted
	req.DeflateWindowBits = offer.windowBits
	return req, out.Bytes(), nil
}

func offersAny(offered, wanted []string) bool {
	for _, w := range wanted {
		for _, o := range offered {
			if o == w {
				return true
			}
		}
	}
	return false
}

var errBadRequest = ws.RejectConnectionError(ws.RejectionStatus(400), ws.RejectionReason("Bad Request"))

// headerValue is the trimmed value of the first header line named name
// (lower case) in head, or "".
func headerValue(head []byte, name string) string {
	for len(head) > 0 {
		line := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head = head[:i], head[i+1:]
		} else {
			head = nil
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if ok && strings.EqualFold(string(bytes.TrimSpace(k)), name) {
			return string(bytes.TrimSpace(v))
		}
	}
	return ""
}

// validHeaderValue refuses control bytes other than HTAB, as net/http does.
func validHeaderValue(v []byte) bool {
	for _, c := range v {
		if (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

type responseHeaders map[string]string

func (h responseHeaders) WriteTo(w io.Writer) (int64, error) {
	var n int64
	for k, v := range h {
		m, err := io.WriteString(w, k+": "+v+"\r\n")
		n += int64(m)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
