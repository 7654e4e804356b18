package server

import (
	"fmt"

	"github.com/densecable/densecable/poller"
	"github.com/densecable/densecable/sessions/sse"
)

// setupSSE serves --sse at --sse_path on the main port, as held requests.
func (a *app) setupSSE(wsh *wsHandler) {
	if !a.cfg.SSE.Enabled {
		return
	}
	opts := sse.Options{Version: compatVersion, MaxBacklog: int(a.cfg.WS.MaxPendingSize)}
	if len(a.cfg.Server.AllowedOrigins) > 0 {
		opts.CheckOrigin = originChecker(a.cfg.Server.AllowedOrigins)
	}
	closeHandedOff(a.httpSrv)
	h := sse.NewHandler(a.node, opts, a.log.With("context", "sse"))
	a.sse = h
	path := a.cfg.SSE.Path
	wsh.held = append(wsh.held, heldRoute{
		// Every method: the handler answers OPTIONS and 405 itself.
		match: func(_, p string) (int, bool) { return sse.MaxBodySize, p == path },
		serve: func(c *poller.Conn, req *poller.HTTPRequest) poller.HTTPReceiver {
			if s := h.Serve(c, req.Method, &req.Request, req.Body); s != nil {
				return s
			}
			return nil
		},
	})
}

// logSSE is anycable-go's start line for the SSE endpoint.
func (a *app) logSSE() {
	if a.cfg.SSE.Enabled {
		a.log.Info(fmt.Sprintf("Handle SSE requests at http://%s%s", a.ws.Addr(), a.cfg.SSE.Path))
	}
}
