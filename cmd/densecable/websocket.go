package main

import (
	"net/url"
	"strings"

	"github.com/gobwas/ws"
	"github.com/valyala/fasthttp"

	"github.com/densecable/densecable/encoders"
	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/poller"
	"github.com/densecable/densecable/sessions"
	"github.com/densecable/densecable/sessions/actioncable"
	"github.com/densecable/densecable/sessions/protocol"
)

// wsProtocols lists the protocol adapters: those chosen by a WebSocket
// sub-protocol, in the server's preference order (the first one the client
// also offered wins), and those chosen by a path prefix (Pusher's /app/KEY).
// Adding a protocol is a package under sessions/ and a line here.
func wsProtocols() []namedProtocol {
	var out []namedProtocol
	for _, name := range actioncable.Subprotocols {
		p, _ := actioncable.For(name)
		out = append(out, namedProtocol{subprotocol: name, proto: p})
	}
	return out
}

// protocolObservers are the protocols' listeners for stream and presence
// transitions (webhooks); a protocol that has one adds it here. None yet.
func protocolObservers() []protocol.Observer { return nil }

type namedProtocol struct {
	// subprotocol selects it when negotiated ("": not by sub-protocol).
	subprotocol string
	// path selects it for WebSocket requests under this path prefix, which
	// is a WebSocket endpoint besides --path ("": not by path).
	path  string
	proto protocol.Protocol
}

// protocolFor returns the adapter for a request: by path first, then by the
// negotiated sub-protocol; a client that negotiated none speaks Action
// Cable JSON.
func (h *wsHandler) protocolFor(path, subprotocol string) protocol.Protocol {
	if p := h.protocolByPath(path); p != nil {
		return p
	}
	for _, p := range h.protocols {
		if p.subprotocol != "" && p.subprotocol == subprotocol {
			return p.proto
		}
	}
	return actioncable.Default()
}

func (h *wsHandler) protocolByPath(path string) protocol.Protocol {
	for _, p := range h.protocols {
		if p.path != "" && strings.HasPrefix(path, p.path) {
			return p.proto
		}
	}
	return nil
}

func subprotocolNames(protocols []namedProtocol) []string {
	var out []string
	for _, p := range protocols {
		if p.subprotocol != "" {
			out = append(out, p.subprotocol)
		}
	}
	return out
}

// wsHandler connects the poller to the node: which paths are WebSocket
// endpoints, how to upgrade them, and who receives the messages.
type wsHandler struct {
	paths *poller.PathMatcher
	opts  frames.UpgradeOptions
	node  *sessions.Node
	// protocols: see wsProtocols.
	protocols []namedProtocol
	// tokenHeader is x-<jwt_param> when JWT is on: a token sent as the
	// anycable-token.* sub-protocol is stored under it unless the client
	// sent the header itself.
	tokenHeader string
	// held: transports on held HTTP requests (held.go).
	held []heldRoute
}

func newWSHandler(paths []string, allowedOrigins []string, version string, node *sessions.Node) *wsHandler {
	h := &wsHandler{paths: poller.NewPathMatcher(paths), node: node, protocols: wsProtocols()}
	h.opts = frames.UpgradeOptions{
		Protocols:       subprotocolNames(h.protocols),
		ResponseHeaders: map[string]string{"X-AnyCable-Version": version},
	}
	if len(allowedOrigins) > 0 {
		h.opts.CheckOrigin = originChecker(allowedOrigins)
	}
	return h
}

func (h *wsHandler) UpgradeOptions(path string) *frames.UpgradeOptions {
	if h.paths.Match(path) || h.protocolByPath(path) != nil {
		return &h.opts
	}
	return nil
}

func (h *wsHandler) Open(c *poller.Conn, req *frames.Request) poller.Receiver {
	if h.tokenHeader != "" && req.Token != "" && req.Get(h.tokenHeader) == "" {
		req.Headers = append(req.Headers, frames.Header{Key: h.tokenHeader, Value: req.Token})
	}
	p := h.protocolFor(req.Path(), req.Protocol)
	s := h.node.NewSession(c, p, req)
	// The protocol decides how a message is read, not its frame type:
	// anycable-go reads a command from a binary frame too.
	op := ws.OpText
	if p.Encoder().FrameType() == encoders.BinaryFrame {
		op = ws.OpBinary
	}
	c.SetDataOpCode(op)
	return s
}

// plainHTTP answers non-upgrade requests to WebSocket paths that arrive on
// an HTTP keep-alive connection the way the reference does (400), and passes
// everything else to next.
func (h *wsHandler) plainHTTP(next fasthttp.RequestHandler) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		if h.paths.Match(string(ctx.Path())) {
			ctx.Response.Header.Set("Sec-Websocket-Version", "13")
			ctx.Response.Header.Set("X-Content-Type-Options", "nosniff")
			ctx.SetContentType("text/plain; charset=utf-8")
			ctx.SetStatusCode(fasthttp.StatusBadRequest)
			ctx.SetBodyString("Bad Request\n")
			return
		}
		next(ctx)
	}
}

// originChecker compares the Origin's host (with port) against the list: an
// entry starting with '*' matches any host ending with the rest.
func originChecker(allowed []string) func(string) bool {
	return func(origin string) bool {
		if origin == "" {
			return false
		}
		u, err := url.Parse(strings.ToLower(origin))
		if err != nil {
			return false
		}
		host := u.Host
		for _, a := range allowed {
			if strings.HasPrefix(a, "*") {
				if strings.HasSuffix(host, a[1:]) {
					return true
				}
			} else if host == a {
				return true
			}
		}
		return false
	}
}
