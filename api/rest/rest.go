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
		if !strings.HasPrefix(path, presencePrefix) || !strings.HasSuffix(path, "/users") {
			ctx.Error("Not Found", fasthttp.StatusNotFound)
			return
		}
		stream := strings.TrimSuffix(strings.TrimPrefix(path, presencePrefix), "/users")
		if stream == "" {
			ctx.Error("Not Found", fasthttp.StatusNotFound)
			return
		}
		if cors != nil {
			cors.Apply(ctx)
			if ctx.IsOptions() {
				ctx.SetStatusCode(fasthttp.StatusOK)
				return
			}
		}
		if opts.Secret != "" {
			want := "Bearer " + opts.Secret
			if subtle.ConstantTimeCompare(ctx.Request.Header.Peek("Authorization"), []byte(want)) != 1 {
				ctx.Error("Unauthorized", fasthttp.StatusUnauthorized)
				return
			}
		}
		if !ctx.IsGet() {
			ctx.Error("Method Not Allowed", fasthttp.StatusUnprocessableEntity)
			return
		}
		if presence == nil {
			ctx.Error("Presence is not supported", fasthttp.StatusNotImplemented)
			return
		}
		info, err := presence.PresenceInfo(ctx, stream)
		if err != nil {
			log.Error("presence info failed", "stream", stream, "error", err)
			ctx.Error("Presence is not available", fasthttp.StatusNotImplemented)
			return
		}
		ctx.SetContentType("application/json")
		ctx.SetBody(opts.RenderPresence(info))
	}
}
