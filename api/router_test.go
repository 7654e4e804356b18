package api

import (
	"testing"

	"github.com/valyala/fasthttp"
)

func TestRouterExactPrefixAndNotFound(t *testing.T) {
	r := NewRouter()
	r.Handle("/health", Health)
	r.HandlePrefix("/api/", func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("api") })
	r.HandlePrefix("/api/presence/", func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("presence") })
	cases := []struct {
		path, body string
		code       int
	}{
		{"/health", HealthBody, 200},
		{"/api/publish", "api", 200},
		{"/api/presence/x/users", "presence", 200},
		{"/nope", "404 page not found\n", 404},
	}
	for _, c := range cases {
		var ctx fasthttp.RequestCtx
		ctx.Request.SetRequestURI(c.path)
		r.Serve(&ctx)
		if got := string(ctx.Response.Body()); got != c.body || ctx.Response.StatusCode() != c.code {
			t.Errorf("%s: got %d %q, want %d %q", c.path, ctx.Response.StatusCode(), got, c.code, c.body)
		}
	}
}

// /health answers 503 while a dependency is reported unhealthy and 200
// with the usual body otherwise.
func TestHealthCheckFollowsHealth(t *testing.T) {
	healthy := true
	h := HealthCheck(func() bool { return healthy })
	for _, want := range []struct {
		healthy bool
		code    int
		body    string
	}{{true, 200, HealthBody}, {false, 503, UnhealthyBody}, {true, 200, HealthBody}} {
		healthy = want.healthy
		var ctx fasthttp.RequestCtx
		h(&ctx)
		if ctx.Response.StatusCode() != want.code || string(ctx.Response.Body()) != want.body {
			t.Errorf("healthy=%v: %d %q", want.healthy, ctx.Response.StatusCode(), ctx.Response.Body())
		}
	}
}
