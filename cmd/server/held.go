package server

import (
	"github.com/valyala/fasthttp"

	"github.com/densecable/densecable/poller"
)

// heldRoute is a transport served on requests the event loop holds
// (poller.HTTPHandler): SSE, long polling, Durable Streams. A transport
// adds its route to wsHandler.held in its own file.
type heldRoute struct {
	// match reports whether the route takes a request for method and path
	// (without query), and the largest body it reads.
	match func(method, path string) (maxBody int, ok bool)
	// serve runs on the loop goroutine with the complete request (see
	// poller.HTTPHandler.ServeHeld); nil: nobody to tell when it closes.
	serve func(c *poller.Conn, req *poller.HTTPRequest) poller.HTTPReceiver
}

// HoldHTTP implements poller.HTTPHandler.
func (h *wsHandler) HoldHTTP(method, path string) (int, bool) {
	if r := h.heldRoute(method, path); r != nil {
		n, _ := r.match(method, path)
		return n, true
	}
	return 0, false
}

// ServeHeld implements poller.HTTPHandler.
func (h *wsHandler) ServeHeld(c *poller.Conn, req *poller.HTTPRequest) poller.HTTPReceiver {
	if r := h.heldRoute(req.Method, req.Path()); r != nil {
		return r.serve(c, req)
	}
	c.Respond(404, nil, nil) // HoldHTTP took it: cannot happen
	return nil
}

func (h *wsHandler) heldRoute(method, path string) *heldRoute {
	for i := range h.held {
		if _, ok := h.held[i].match(method, path); ok {
			return &h.held[i]
		}
	}
	return nil
}

// closeHandedOff makes the main port's fasthttp close each connection
// after one response once held routes exist: a connection handed to
// fasthttp stays with it for its keep-alive life, so a client reusing it
// (browsers pool one origin's connections: EventSource and fetch share
// them) would have its SSE or long-poll request answered 404 by fasthttp.
// Its next request then opens a connection the event loop routes.
func closeHandedOff(srv *fasthttp.Server) { srv.DisableKeepalive = true }
