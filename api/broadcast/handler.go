// Package broadcast serves the HTTP broadcast endpoint (POST
// <http_broadcast_path>, default /_broadcast): the `http` broadcast adapter.
package broadcast

import (
	"crypto/subtle"
	"log/slog"

	"github.com/valyala/fasthttp"

	"github.com/densecable/densecable/broker"
)

// DefaultPath is http_broadcast_path's default.
const DefaultPath = "/_broadcast"

// DefaultMaxBodySize caps a request body (4 MiB, fasthttp's default server
// limit, so both agree). anycable-go has no limit of its own.
const DefaultMaxBodySize = 4 << 20

// Stats are the broadcast counters; the HTTP endpoint adds to Publications
// and FailedBroadcast (see broker.Stats).
type Stats = broker.Stats

// Options configure the endpoint.
type Options struct {
	// Path the handler answers on; other paths get 404. Empty accepts any
	// path (when a router already matched it).
	Path string
	// Key is the broadcast key: requests must carry exactly
	// "Authorization: Bearer <Key>". Empty turns authorization off (the
	// caller resolves `none`, --public and the key derived from --secret).
	Key string
	// CORS adds CORS headers and answers OPTIONS with 200
	// (--http_broadcast_cors); AllowedOrigins is allowed_origins.
	CORS           bool
	AllowedOrigins string
	// MaxBodySize rejects larger bodies with 413 (0: DefaultMaxBodySize).
	MaxBodySize int
	// Stats receives the counters; nil counts nothing.
	Stats *Stats
}

// NewHandler returns the endpoint. Answers (as anycable-go):
//   - 201 when the body was accepted, including a malformed body, which is
//     logged, counted as failed and dropped;
//   - 422 for methods other than POST (and OPTIONS with CORS on);
//   - 200 for OPTIONS with CORS on (before authorization: preflights carry
//     no credentials);
//   - 401 when a key is set and Authorization is not exactly `Bearer <key>`;
//   - 501 when the handler failed to take a publication (a
//     broker.FallibleHandler returned an error);
//   - 413 for a body over MaxBodySize; 404 for another path.
//
// Publications go to h in body order, on the request goroutine.
func NewHandler(opts Options, h broker.Handler, logger *slog.Logger) fasthttp.RequestHandler {
	log := broker.Logger(logger, "context", "broadcast", "provider", "http")
	maxBody := opts.MaxBodySize
	if maxBody <= 0 {
		maxBody = DefaultMaxBodySize
	}
	var wantAuth []byte
	if opts.Key != "" {
		wantAuth = []byte("Bearer " + opts.Key)
	}
	var cors *CORS
	if opts.CORS {
		cors = NewCORS(opts.AllowedOrigins)
	}
	d := &broker.Dispatcher{Handler: h, Stats: opts.Stats, Log: log}

	return func(ctx *fasthttp.RequestCtx) {
		if opts.Path != "" && string(ctx.Path()) != opts.Path {
			ctx.SetStatusCode(fasthttp.StatusNotFound)
			return
		}
		if cors.Preflight(ctx) {
			return
		}
		if !ctx.IsPost() {
			log.Debug("invalid request method", "method", string(ctx.Method()))
			ctx.SetStatusCode(fasthttp.StatusUnprocessableEntity)
			return
		}
		if wantAuth != nil && subtle.ConstantTimeCompare(ctx.Request.Header.Peek("Authorization"), wantAuth) != 1 {
			log.Debug("unauthorized broadcast request")
			ctx.SetStatusCode(fasthttp.StatusUnauthorized)
			return
		}
		body := ctx.PostBody()
		if len(body) > maxBody {
			log.Warn("broadcast request body too large", "size", len(body), "limit", maxBody)
			ctx.SetStatusCode(fasthttp.StatusRequestEntityTooLarge)
			return
		}
		if err := d.Dispatch(body); err != nil && !broker.IsMalformed(err) {
			log.Error("failed to broadcast", "error", err)
			ctx.SetStatusCode(fasthttp.StatusNotImplemented)
			return
		}
		ctx.SetStatusCode(fasthttp.StatusCreated)
	}
}
