package broadcast

import (
	"net/url"
	"strings"

	"github.com/valyala/fasthttp"
)

// CORS writes the CORS headers anycable-go's broadcast endpoint sends with
// --http_broadcast_cors (the same writer serves SSE and Durable Streams).
type CORS struct {
	hosts []string // lower-cased allowed_origins entries; empty allows all
}

const (
	corsMethods = "POST, OPTIONS"
	corsHeaders = "Origin, X-Requested-With, X-Request-ID, Content-Type, Accept, X-CSRF-Token, Authorization"
)

// NewCORS takes allowed_origins: a comma list of hosts (with port when not
// default), where an entry starting with `*` matches any host ending with
// the rest (`*example.io` matches a.example.io and badexample.io alike).
func NewCORS(allowedOrigins string) *CORS {
	c := &CORS{}
	for _, h := range strings.Split(strings.ToLower(allowedOrigins), ",") {
		if h = strings.TrimSpace(h); h != "" {
			c.hosts = append(c.hosts, h)
		}
	}
	return c
}

// AllowsOrigin applies the allowed_origins rule to an Origin header value:
// its URL host part (with the port) is compared. An empty list allows every
// origin; with a list, a missing or unparsable Origin fails.
func (c *CORS) AllowsOrigin(origin string) bool {
	if len(c.hosts) == 0 {
		return true
	}
	u, err := url.Parse(strings.ToLower(origin))
	if err != nil {
		return false
	}
	for _, h := range c.hosts {
		if h[0] == '*' && strings.HasSuffix(u.Host, h[1:]) || u.Host == h {
			return true
		}
	}
	return false
}

// Apply sets the CORS headers on the response. Allow-Origin is `*` without
// a list, the request's Origin when it is allowed, and absent otherwise.
func (c *CORS) Apply(ctx *fasthttp.RequestCtx) {
	h := &ctx.Response.Header
	if len(c.hosts) == 0 {
		h.Set("Access-Control-Allow-Origin", "*")
	} else if origin := string(ctx.Request.Header.Peek("Origin")); origin != "" && c.AllowsOrigin(origin) {
		h.Set("Access-Control-Allow-Origin", origin)
	}
	h.Set("Access-Control-Allow-Methods", corsMethods)
	h.Set("Access-Control-Allow-Credentials", "true")
	h.Set("Access-Control-Allow-Headers", corsHeaders)
}

// Preflight sets the CORS headers (when c is not nil: CORS is on) and
// reports whether the request was a preflight OPTIONS, answered 200 and done.
func (c *CORS) Preflight(ctx *fasthttp.RequestCtx) bool {
	if c == nil {
		return false
	}
	c.Apply(ctx)
	if !ctx.IsOptions() {
		return false
	}
	ctx.SetStatusCode(fasthttp.StatusOK)
	return true
}
