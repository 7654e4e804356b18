// Package api holds the HTTP endpoints densecable serves with fasthttp:
// health, broadcasting, metrics and the REST API (api/rest); long-lived
// responses (SSE, long polling) will be held by the event loop. Handlers are plain fasthttp.RequestHandlers mounted on a Router.
package api

import (
	"strings"

	"github.com/valyala/fasthttp"
)

// Router dispatches by exact path, then by longest registered prefix.
type Router struct {
	exact    map[string]fasthttp.RequestHandler
	prefixes []prefixRoute
}

type prefixRoute struct {
	prefix string
	h      fasthttp.RequestHandler
}

// NewRouter returns an empty router (404 for everything).
func NewRouter() *Router {
	return &Router{exact: make(map[string]fasthttp.RequestHandler)}
}

// Handle mounts h at path exactly.
func (r *Router) Handle(path string, h fasthttp.RequestHandler) { r.exact[path] = h }

// HandlePrefix mounts h for every path starting with prefix.
func (r *Router) HandlePrefix(prefix string, h fasthttp.RequestHandler) {
	r.prefixes = append(r.prefixes, prefixRoute{prefix: prefix, h: h})
}

// Serve is the fasthttp.RequestHandler.
func (r *Router) Serve(ctx *fasthttp.RequestCtx) {
	path := string(ctx.Path())
	if h, ok := r.exact[path]; ok {
		h(ctx)
		return
	}
	best := -1
	for i, p := range r.prefixes {
		if strings.HasPrefix(path, p.prefix) && (best < 0 || len(p.prefix) > len(r.prefixes[best].prefix)) {
			best = i
		}
	}
	if best >= 0 {
		r.prefixes[best].h(ctx)
		return
	}
	ctx.Error("404 page not found\n", fasthttp.StatusNotFound)
}

// HealthBody is anycable-go's health response.
const HealthBody = "Ah, ha, ha, ha, stayin' alive, stayin' alive."

// UnhealthyBody answers /health while a dependency is away.
const UnhealthyBody = "Unhealthy: a broadcaster or broker cannot reach its Redis or NATS (retrying)."

// Health answers any method with 200 and the health body.
func Health(ctx *fasthttp.RequestCtx) {
	ctx.SetContentType("text/plain; charset=utf-8")
	ctx.SetBodyString(HealthBody)
}

// HealthCheck is Health, answering 503 instead while healthy() is false.
func HealthCheck(healthy func() bool) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		if healthy() {
			Health(ctx)
			return
		}
		ctx.SetContentType("text/plain; charset=utf-8")
		ctx.SetStatusCode(fasthttp.StatusServiceUnavailable)
		ctx.SetBodyString(UnhealthyBody)
	}
}
