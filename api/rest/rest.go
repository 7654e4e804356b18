// Package rest is the REST API (--api_path, default /api): POST /publish
// (the broadcast payload) and GET /presence/<stream>/users.
package rest

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/densecable/densecable/api/broadcast"
	"github.com/densecable/densecable/broker"
)

// PresenceReader reads a stream's presence (nil when there is no broker).
type PresenceReader interface {
	PresenceInfo(ctx context.Context, stream string) (*broker.PresenceInfo, error)
}

// Options configure the API.
type Options struct {
	Path   string // api_path
	Secret string // Bearer token; "" = no auth
	CORS   bool
	// AllowedOrigins for CORS (comma list).
	AllowedOrigins string
	Stats          *broker.Stats
	// RenderPresence turns presence info into the response JSON.
	RenderPresence func(*broker.PresenceInfo) []byte
}

// New returns the API handler to mount at opts.Path (prefix).
func New(opts Options, h broker.Handler, presence PresenceReader, log *slog.Logger) fasthttp.RequestHandler {
	publish := broadcast.NewHandler(broadcast.Options{
		Path:           opts.Path + "/publish",
		Key:            opts.Secret,
		CORS:           opts.CORS,
		AllowedOrigins: opts.AllowedOrigins,
		Stats:          opts.Stats,
	}, h, log)
	var cors *broadcast.CORS
	if opts.CORS {
		cors = broadcast.NewCORS(opts.AllowedOrigins)
	}
	presencePrefix := opts.Path + "/presence/"
	return func(ctx *fasthttp.RequestCtx) {
		path := string(ctx.Path())
		if path == opts.Path+"/publish" {
			publish(ctx)
			return
		}
		// <prefix><stream>/users with a non-empty stream: "/presence/users"
		// names no stream (it is not the stream "users").
		tail, ok := strings.CutPrefix(path, presencePrefix)
		stream, users := strings.CutSuffix(tail, "/users")
		if !ok || !users || stream == "" {
			fail(ctx, "Not Found", fasthttp.StatusNotFound)
			return
		}
		if cors.Preflight(ctx) {
			return
		}
		if opts.Secret != "" {
			want := "Bearer " + opts.Secret
			if subtle.ConstantTimeCompare(ctx.Request.Header.Peek("Authorization"), []byte(want)) != 1 {
				fail(ctx, "Unauthorized", fasthttp.StatusUnauthorized)
				return
			}
		}
		if !ctx.IsGet() {
			fail(ctx, "Method Not Allowed", fasthttp.StatusUnprocessableEntity)
			return
		}
		if presence == nil {
			fail(ctx, "Presence is not supported", fasthttp.StatusNotImplemented)
			return
		}
		info, err := presence.PresenceInfo(ctx, stream)
		if err != nil {
			log.Error("presence info failed", "stream", stream, "error", err)
			fail(ctx, "Presence is not available", fasthttp.StatusNotImplemented)
			return
		}
		ctx.SetContentType("application/json")
		ctx.SetBody(opts.RenderPresence(info))
	}
}

// fail answers with a plain-text error. Unlike ctx.Error it keeps the
// headers already set, so a browser can read a CORS request's 401/422/501.
func fail(ctx *fasthttp.RequestCtx, msg string, status int) {
	ctx.SetStatusCode(status)
	ctx.SetContentType("text/plain; charset=utf-8")
	ctx.SetBodyString(msg)
}
