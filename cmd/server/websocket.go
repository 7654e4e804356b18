package server

import (
	"net/url"
	"strings"

	"github.com/gobwas/ws"
	"github.com/valyala/fasthttp"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/cmd/config"
	"github.com/densecable/densecable/encoders"
	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/poller"
	"github.com/densecable/densecable/sessions"
	"github.com/densecable/densecable/sessions/actioncable"
	"github.com/densecable/densecable/sessions/graphql"
	"github.com/densecable/densecable/sessions/ocpp"
	"github.com/densecable/densecable/sessions/protocol"
	"github.com/densecable/densecable/sessions/pusher"
)

// wsProtocols lists the protocol adapters: those chosen by a WebSocket
// sub-protocol on --path, in the server's preference order (the first one
// the client also offered wins), and those mounted at a path of their own
// (Pusher's /app/KEY, --graphql_path, --ocpp_path). Adding a protocol is a
// package under sessions/ and a line here.
func wsProtocols(cfg *config.Config, b broker.Broker, onClientEvent func(channel, event string, data []byte, socketID, userID string)) []namedProtocol {
	var out []namedProtocol
	for _, name := range actioncable.Subprotocols {
		p, _ := actioncable.For(name)
		out = append(out, namedProtocol{subprotocol: name, proto: p})
	}
	if cfg.OCPP.Path != "" {
		out = append(out, namedProtocol{path: cfg.OCPP.Path, subprotocol: ocpp.Subprotocol, proto: ocpp.New(ocpp.Options{Path: cfg.OCPP.Path, GranularActions: cfg.OCPP.GranularActions})})
	}
	if cfg.PusherEnabled() {
		// Mounted at /app, not /app/KEY: a wrong key gets Pusher's 4001.
		out = append(out, namedProtocol{path: pusher.Path, proto: pusherProtocol(cfg, b, onClientEvent)})
	}
	if gql := cfg.Apollo; gql.Path != "" {
		// No "" entry: a client naming neither sub-protocol is refused (400).
		o := graphql.Options{Channel: gql.Channel, Action: gql.Action, JWTParam: cfg.JWT.Param}
		out = append(out, namedProtocol{path: gql.Path, subprotocol: graphql.TransportWS, proto: graphql.New(graphql.TransportWS, o)},
			namedProtocol{path: gql.Path, subprotocol: graphql.LegacyWS, proto: graphql.New(graphql.LegacyWS, o)})
	}
	return out
}

// protocolObservers are the protocols' listeners for stream and presence
// transitions (webhooks); a protocol that has one adds it here.
func (a *app) protocolObservers() ([]protocol.Observer, error) {
	var out []protocol.Observer
	o, err := a.pusherObserver()
	if o != nil {
		out = append(out, o)
	}
	return out, err
}

// namedProtocol is one protocol adapter and how a request selects it.
//
// Without a path it serves --path, chosen by subprotocol. With a path it
// serves that path and everything below it (path "/ocpp" serves
// "/ocpp/CP-1"); the entries sharing a path form one endpoint, chosen among
// by subprotocol, where the entry with subprotocol "" serves clients that
// negotiated none. An endpoint without such an entry refuses (400) a client
// that offers none of its sub-protocols.
type namedProtocol struct {
	subprotocol string
	path        string
	proto       protocol.Protocol
}

// pathEndpoint is a WebSocket endpoint besides --path: the protocols
// mounted at one path and their upgrade options.
type pathEndpoint struct {
	path      string
	protocols []namedProtocol
	opts      frames.UpgradeOptions
}

func (e *pathEndpoint) matches(path string) bool {
	return path == e.path || strings.HasPrefix(path, e.path+"/")
}

// protocolFor returns the adapter for a request: a path endpoint's first,
// then --path's by the negotiated sub-protocol; a client that negotiated
// none speaks the endpoint's default (Action Cable JSON on --path).
func (h *wsHandler) protocolFor(path, subprotocol string) protocol.Protocol {
	list, def := h.protocols, actioncable.Default()
	if e := h.endpointFor(path); e != nil {
		list, def = e.protocols, nil
	}
	for _, p := range list {
		if p.subprotocol == subprotocol {
			return p.proto
		}
	}
	if def == nil {
		// The endpoint requires a sub-protocol, so the upgrade refused
		// the client before it got here; the first entry is a safe answer.
		return list[0].proto
	}
	return def
}

func (h *wsHandler) endpointFor(path string) *pathEndpoint {
	for i := range h.endpoints {
		if h.endpoints[i].matches(path) {
			return &h.endpoints[i]
		}
	}
	return nil
}

// splitProtocols separates --path's protocols from the path endpoints,
// grouping the latter by path in the order first seen.
func splitProtocols(all []namedProtocol, base frames.UpgradeOptions) (main []namedProtocol, endpoints []pathEndpoint) {
	for _, p := range all {
		if p.path == "" {
			main = append(main, p)
			continue
		}
		p.path = strings.TrimSuffix(p.path, "/")
		i := 0
		for i < len(endpoints) && endpoints[i].path != p.path {
			i++
		}
		if i == len(endpoints) {
			endpoints = append(endpoints, pathEndpoint{path: p.path, opts: base})
			endpoints[i].opts.RequireProtocol = true
		}
		e := &endpoints[i]
		e.protocols = append(e.protocols, p)
		if p.subprotocol == "" {
			e.opts.RequireProtocol = false
		} else {
			e.opts.Protocols = append(e.opts.Protocols, p.subprotocol)
		}
	}
	return main, endpoints
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
	// protocols serve --path; endpoints are the other paths (see
	// wsProtocols).
	protocols []namedProtocol
	endpoints []pathEndpoint
	// tokenHeader is x-<jwt_param> when JWT is on: a token sent as the
	// anycable-token.* sub-protocol is stored under it unless the client
	// sent the header itself.
	tokenHeader string
	// held: transports on held HTTP requests (held.go).
	held []heldRoute
}

func newWSHandler(paths []string, allowedOrigins []string, version string, node *sessions.Node, protocols []namedProtocol) *wsHandler {
	h := &wsHandler{paths: poller.NewPathMatcher(paths), node: node}
	base := frames.UpgradeOptions{ResponseHeaders: map[string]string{"X-AnyCable-Version": version}}
	if len(allowedOrigins) > 0 {
		base.CheckOrigin = originChecker(allowedOrigins)
	}
	h.protocols, h.endpoints = splitProtocols(protocols, base)
	h.opts = base
	h.opts.Protocols = subprotocolNames(h.protocols)
	return h
}

func (h *wsHandler) UpgradeOptions(path string) *frames.UpgradeOptions {
	if e := h.endpointFor(path); e != nil {
		return &e.opts
	}
	if h.paths.Match(path) {
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
