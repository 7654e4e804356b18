package sse

import (
	"log/slog"
	"net/http"
	"sync"

	"github.com/densecable/densecable/encoders"
	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/poller"
	"github.com/densecable/densecable/sessions"
)

// Options configures the handler.
type Options struct {
	// Version is sent as X-AnyCable-Version.
	Version string
	// CheckOrigin, when set, says whether a request's Origin is allowed:
	// CORS then names that origin (nil: any origin, "*"). As in anycable-go
	// the request is served either way: the browser enforces CORS.
	CheckOrigin func(origin string) bool
	// MaxBacklog bounds the output kept before the response's status is
	// known (welcome, confirmations, history): ws_max_pending_size.
	MaxBacklog int
}

// Conn is the held request's connection (a *poller.Conn): the Stream, and
// Respond for an answer given at once (it keeps the connection alive).
type Conn interface {
	Stream
	Respond(status int, headers []frames.Header, body []byte) bool
}

// Closer hears that the client left (the session).
type Closer interface{ OnClose() }

// Handler serves SSE requests: it turns each into a session on the node.
type Handler struct {
	node  *sessions.Node
	opts  Options
	log   *slog.Logger
	heads heads
}

func NewHandler(node *sessions.Node, opts Options, log *slog.Logger) *Handler {
	if opts.MaxBacklog <= 0 {
		opts.MaxBacklog = 1 << 20
	}
	h := &Handler{node: node, opts: opts, log: log}
	for _, hd := range h.headers(h.cors("")) {
		h.heads.lines = append(h.heads.lines, hd.Key+": "+hd.Value+"\r\n"...)
	}
	return h
}

// Serve handles one request whose body is complete (body is only read
// during the call). It answers at once (OPTIONS, a wrong method, a request
// naming no channel or with a malformed body or Last-Event-ID: nil is
// returned), or creates the session and returns it: the response starts
// once the connection is authenticated and every subscription confirmed.
func (h *Handler) Serve(c Conn, method string, req *frames.Request, body []byte) Closer {
	// The CORS headers are built only for an answer given at once: a
	// stream's head is rendered from h.heads.
	origin := h.allowedOrigin(req.Get("origin"))
	switch method {
	case http.MethodOptions:
		c.Respond(http.StatusOK, h.cors(origin), nil)
		return nil
	case http.MethodGet, http.MethodPost:
	default:
		h.log.Debug("sse: method not allowed", "method", method, "remote", c.RemoteIP())
		c.Respond(http.StatusMethodNotAllowed, h.cors(origin), nil)
		return nil
	}
	q := requestQuery{req}
	var cmds []*encoders.Message
	var err error
	proto := postProtocol
	if method == http.MethodGet {
		proto = getProtocol
		var m *encoders.Message
		if m, err = getCommand(q, req.Get("last-event-id")); err == nil {
			cmds = []*encoders.Message{m}
		}
	} else {
		cmds, err = postCommands(body)
	}
	if err != nil {
		h.log.Debug("sse: failed to build subscribe command", "error", err, "remote", c.RemoteIP())
		c.Respond(http.StatusBadRequest, h.headers(h.cors(origin)), nil)
		return nil
	}
	var t sessions.Transport
	p := newPending(rawParam(q), len(cmds), &h.heads, origin, h.opts.MaxBacklog)
	if pc, ok := c.(*poller.Conn); ok {
		t = newConnTransport(pc, p) // the event loop's: no allocation for the stream
	} else {
		t = newTransport(c, p)
	}
	s := h.node.NewSession(t, proto, req)
	// The subscriptions run as one chain (Then), and the ready ping last:
	// its pong tells the transport that every subscription has had its
	// answer. One command in the inbox, not one per subscription.
	first, size := readyPing, 0
	for i := len(cmds) - 1; i >= 0; i-- {
		m := cmds[i]
		m.Then, first = first, m
		size += len(m.Identifier)
	}
	s.ReceiveCommand(first, size)
	return s
}

// readyPing is the command Serve chains behind the subscriptions, shared:
// the core only reads a command, and readyPing.Then stays nil.
var readyPing = &encoders.Message{Command: "ping"}

// allowedOrigin is the Access-Control-Allow-Origin value ("" for none).
func (h *Handler) allowedOrigin(origin string) string {
	switch {
	case h.opts.CheckOrigin == nil:
		return "*"
	case h.opts.CheckOrigin(origin):
		return origin
	}
	return ""
}

// cors is anycable-go's CORS header set for the allowed origin (see
// allowedOrigin; "": no Access-Control-Allow-Origin).
func (h *Handler) cors(allowed string) []frames.Header {
	out := make([]frames.Header, 0, 12)
	if allowed != "" {
		out = append(out, frames.Header{Key: "Access-Control-Allow-Origin", Value: allowed})
	}
	return append(out,
		frames.Header{Key: "Access-Control-Allow-Methods", Value: "POST, OPTIONS"},
		frames.Header{Key: "Access-Control-Allow-Credentials", Value: "true"},
		frames.Header{Key: "Access-Control-Allow-Headers", Value: "Origin, X-Requested-With, X-Request-ID, Content-Type, Accept, X-CSRF-Token, Authorization"},
	)
}

// headers are the stream's response headers. The body ends when the
// connection closes (no Content-Length, no chunked encoding): an event
// stream only ever ends that way.
func (h *Handler) headers(cors []frames.Header) []frames.Header {
	return append(cors,
		frames.Header{Key: "X-AnyCable-Version", Value: h.opts.Version},
		frames.Header{Key: "Content-Type", Value: "text/event-stream; charset=utf-8"},
		frames.Header{Key: "X-Content-Type-Options", Value: "nosniff"},
		frames.Header{Key: "X-Accel-Buffering", Value: "no"},
		frames.Header{Key: "Cache-Control", Value: "private, no-cache, no-store, must-revalidate, max-age=0"},
		frames.Header{Key: "Pragma", Value: "no-cache"},
		frames.Header{Key: "Expire", Value: "0"},
	)
}

// heads renders a handler's response heads from lines rendered once: only
// the status and the CORS origin differ between requests, so a stream's
// head costs no allocation of its own before it is written.
type heads struct {
	lines []byte // every header line after the origin, CRLF-terminated

	star     sync.Once
	starHead []byte // the 200 head for Access-Control-Allow-Origin: *
}

// ok is the 200 head for origin: shared for "*" (no CORS list), rendered
// per request otherwise. Callers must not modify it.
func (h *heads) ok(origin string) []byte {
	if origin != "*" {
		return h.append(nil, http.StatusOK, origin)
	}
	h.star.Do(func() { h.starHead = h.append(nil, http.StatusOK, "*") })
	return h.starHead
}

// append writes the head for status; an error head also says that the
// body is empty and the connection closes.
func (h *heads) append(dst []byte, status int, origin string) []byte {
	dst = frames.AppendResponseHead(dst, status, nil)
	dst = dst[:len(dst)-2] // reopen the head
	if origin != "" {
		dst = append(dst, "Access-Control-Allow-Origin: "...)
		dst = append(dst, origin...)
		dst = append(dst, "\r\n"...)
	}
	dst = append(dst, h.lines...)
	if status != http.StatusOK {
		dst = append(dst, "Content-Length: 0\r\nConnection: close\r\n"...)
	}
	return append(dst, "\r\n"...)
}
