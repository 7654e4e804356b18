// Package pusher is the Pusher HTTP API (/apps/{app_id}/...): signed
// requests only; POST /events and /batch_events publish to the streams
// named like the channels; GET /channels, /channels/{name} and
// /channels/{name}/users read occupancy and presence.
package pusher

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/densecable/densecable/broker"
)

// Channels answers what the API says about channels. Occupancy is
// cluster-wide when the broker keeps it (Redis, NATS), else this node's.
type Channels interface {
	// OccupiedChannels lists the occupied channels starting with prefix, at most
	// limit of them.
	OccupiedChannels(ctx context.Context, prefix string, limit int) ([]string, error)
	// IsOccupied reports whether channel has a subscriber.
	IsOccupied(ctx context.Context, channel string) (bool, error)
	// SubscriptionCount is the number of connections subscribed to channel.
	SubscriptionCount(ctx context.Context, channel string) (int, error)
}

// PresenceReader reads a presence channel's members (the broker).
type PresenceReader interface {
	PresenceInfo(ctx context.Context, stream string) (*broker.PresenceInfo, error)
}

// MaxListed bounds the channels one GET /channels lists.
const MaxListed = 10000

// Options configure the API.
type Options struct {
	AppID string
	Credentials
	// Now is the clock auth_timestamp is checked against (time.Now).
	Now func() time.Time
}

// Prefix is where the API is mounted.
const Prefix = "/apps/"

type handler struct {
	opts     Options
	pub      broker.Handler
	channels Channels
	presence PresenceReader // nil: no broker, no presence
	log      *slog.Logger
}

// New returns the API handler to mount at Prefix. presence may be nil.
func New(opts Options, pub broker.Handler, channels Channels, presence PresenceReader, log *slog.Logger) fasthttp.RequestHandler {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	h := &handler{opts: opts, pub: pub, channels: channels, presence: presence, log: log}
	return h.serve
}

func (h *handler) serve(ctx *fasthttp.RequestCtx) {
	path := string(ctx.Path())
	rest, _ := strings.CutPrefix(path, Prefix)
	app, route, _ := strings.Cut(rest, "/")
	if app != h.opts.AppID {
		h.fail(ctx, fasthttp.StatusNotFound, "Unknown app", errors.New("unknown app id"))
		return
	}
	body := ctx.Request.Body()
	if len(body) > MaxBodySize {
		h.fail(ctx, fasthttp.StatusRequestEntityTooLarge, "Request body too large", errTooLarge)
		return
	}
	var params []Param
	ctx.QueryArgs().VisitAll(func(k, v []byte) { params = append(params, Param{string(k), string(v)}) })
	if err := h.opts.Verify(string(ctx.Method()), path, params, body, h.opts.Now()); err != nil {
		h.fail(ctx, fasthttp.StatusUnauthorized, "Unauthorized: "+err.Error(), err)
		return
	}
	method := string(ctx.Method())
	switch {
	case route == "events" || route == "batch_events":
		if method != fasthttp.MethodPost {
			h.fail(ctx, fasthttp.StatusMethodNotAllowed, "Method Not Allowed", errors.New(method))
			return
		}
		h.trigger(ctx, body, route == "batch_events")
	case route == "channels" || strings.HasPrefix(route, "channels/"):
		if method != fasthttp.MethodGet {
			h.fail(ctx, fasthttp.StatusMethodNotAllowed, "Method Not Allowed", errors.New(method))
			return
		}
		h.channelsRoute(ctx, strings.TrimPrefix(strings.TrimPrefix(route, "channels"), "/"))
	default:
		h.fail(ctx, fasthttp.StatusNotFound, "Not Found", errors.New("unknown route"))
	}
}

func (h *handler) trigger(ctx *fasthttp.RequestCtx, body []byte, batch bool) {
	pubs, err := parseEvents(body, batch)
	if err != nil {
		status := fasthttp.StatusBadRequest
		if errors.Is(err, errTooLarge) {
			status = fasthttp.StatusRequestEntityTooLarge
		}
		h.fail(ctx, status, err.Error(), err)
		return
	}
	for _, p := range pubs {
		h.pub.HandleBroadcast(p)
	}
	h.json(ctx, []byte("{}"))
}

// fail answers with status and a plain-text message, and logs why at
// debug level: bad input is the client's problem, not the server's.
func (h *handler) fail(ctx *fasthttp.RequestCtx, status int, msg string, err error) {
	h.log.Debug("Pusher API request rejected", "path", string(ctx.Path()), "status", status, "error", err)
	ctx.Response.Reset()
	ctx.SetStatusCode(status)
	ctx.SetContentType("text/plain; charset=utf-8")
	ctx.SetBodyString(msg + "\n")
}

func (h *handler) json(ctx *fasthttp.RequestCtx, b []byte) {
	ctx.SetStatusCode(fasthttp.StatusOK)
	ctx.SetContentType("application/json")
	ctx.SetBody(b)
}
