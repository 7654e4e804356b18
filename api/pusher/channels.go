package pusher

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/densecable/densecable/encoders/jsonkit"
)

// presencePrefix marks a presence channel.
const presencePrefix = "presence-"

// info parses the info parameter: which attributes to add.
type info struct{ userCount, subscriptionCount bool }

func parseInfo(ctx *fasthttp.RequestCtx) info {
	var in info
	for _, a := range strings.Split(string(ctx.QueryArgs().Peek("info")), ",") {
		switch strings.TrimSpace(a) {
		case "user_count":
			in.userCount = true
		case "subscription_count":
			in.subscriptionCount = true
		}
	}
	return in
}

// channelsRoute serves GET /channels (name ""), /channels/{name} and
// /channels/{name}/users.
func (h *handler) channelsRoute(ctx *fasthttp.RequestCtx, tail string) {
	if tail == "" {
		h.list(ctx)
		return
	}
	name, users := strings.CutSuffix(tail, "/users")
	if !ValidChannel(name) {
		h.fail(ctx, fasthttp.StatusBadRequest, "Invalid channel name", fmt.Errorf("channel %q", name))
		return
	}
	if users {
		h.users(ctx, name)
		return
	}
	h.channel(ctx, name)
}

// list answers {"channels":{"name":{},...}}; with info=user_count (only
// for filter_by_prefix=presence-, as Pusher) each gets {"user_count":N}.
func (h *handler) list(ctx *fasthttp.RequestCtx) {
	prefix := string(ctx.QueryArgs().Peek("filter_by_prefix"))
	in := parseInfo(ctx)
	if in.userCount && !strings.HasPrefix(prefix, presencePrefix) {
		h.fail(ctx, fasthttp.StatusBadRequest, "info=user_count needs filter_by_prefix=presence-", fmt.Errorf("prefix %q", prefix))
		return
	}
	names, err := h.channels.OccupiedChannels(ctx, prefix, MaxListed)
	if err != nil {
		h.unavailable(ctx, err)
		return
	}
	b := []byte(`{"channels":{`)
	for i, n := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonkit.AppendString(b, n)
		b = append(b, ':', '{')
		if in.userCount {
			count, err := h.userCount(ctx, n)
			if err != nil {
				h.unavailable(ctx, err)
				return
			}
			b = strconv.AppendInt(append(b, `"user_count":`...), int64(count), 10)
		}
		b = append(b, '}')
	}
	h.json(ctx, append(b, '}', '}'))
}

// channel answers {"occupied":bool} plus the requested counts
// (user_count on presence channels only: 400 otherwise, as Pusher).
func (h *handler) channel(ctx *fasthttp.RequestCtx, name string) {
	in := parseInfo(ctx)
	presence := strings.HasPrefix(name, presencePrefix)
	if in.userCount && !presence {
		h.fail(ctx, fasthttp.StatusBadRequest, "user_count is only for presence channels", fmt.Errorf("channel %q", name))
		return
	}
	occupied, err := h.channels.IsOccupied(ctx, name)
	if err != nil {
		h.unavailable(ctx, err)
		return
	}
	b := append([]byte(`{"occupied":`), strconv.FormatBool(occupied)...)
	if in.userCount {
		count, err := h.userCount(ctx, name)
		if err != nil {
			h.unavailable(ctx, err)
			return
		}
		b = strconv.AppendInt(append(b, `,"user_count":`...), int64(count), 10)
	}
	if in.subscriptionCount {
		count, err := h.channels.SubscriptionCount(ctx, name)
		if err != nil {
			h.unavailable(ctx, err)
			return
		}
		b = strconv.AppendInt(append(b, `,"subscription_count":`...), int64(count), 10)
	}
	h.json(ctx, append(b, '}'))
}

// users answers {"users":[{"id":..},...]} for a presence channel (400 for
// any other; an unknown one has no users).
func (h *handler) users(ctx *fasthttp.RequestCtx, name string) {
	if !strings.HasPrefix(name, presencePrefix) {
		h.fail(ctx, fasthttp.StatusBadRequest, "Users are only available for presence channels", fmt.Errorf("channel %q", name))
		return
	}
	b := []byte(`{"users":[`)
	if h.presence != nil {
		info, err := h.presence.PresenceInfo(ctx, name)
		if err != nil {
			h.unavailable(ctx, err)
			return
		}
		for i, r := range info.Records {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonkit.AppendString(append(b, `{"id":`...), r.ID)
			b = append(b, '}')
		}
	}
	h.json(ctx, append(b, ']', '}'))
}

func (h *handler) userCount(ctx *fasthttp.RequestCtx, name string) (int, error) {
	if h.presence == nil {
		return 0, nil
	}
	info, err := h.presence.PresenceInfo(ctx, name)
	if err != nil {
		return 0, err
	}
	return info.Total, nil
}

// unavailable answers 503 when the broker cannot be read.
func (h *handler) unavailable(ctx *fasthttp.RequestCtx, err error) {
	h.log.Warn("Pusher API cannot read the broker", "error", err)
	ctx.Response.Reset()
	ctx.SetStatusCode(fasthttp.StatusServiceUnavailable)
	ctx.SetContentType("text/plain; charset=utf-8")
	ctx.SetBodyString("Service Unavailable\n")
}
