package server

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/densecable/densecable/api"
	"github.com/densecable/densecable/api/pusher"
	"github.com/densecable/densecable/api/pusher/webhooks"
	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/broker/store/memory"
)

// pusherAPI is the Pusher HTTP API and webhooks (on when the Pusher app id
// and key are set): the occupancy tracker both read, the webhook sender
// (nil without --pusher_webhook_url), the observer the node calls, and the
// API's own listener when --pusher_api_port differs from the main port.
type pusherAPI struct {
	tracker  *pusher.Tracker
	sender   *webhooks.Sender
	observer *webhooks.Observer
	handler  fasthttp.RequestHandler
	srv      *fasthttp.Server // nil: served on the main port
	onMain   bool
}

// subscriberCount reads the hub, which exists after the observers are made.
type subscriberCount func(string) int

func (f subscriberCount) Subscribers(s string) int { return f(s) }

// pusherObserver makes the tracker, the sender and the observer (before
// the hub, which calls the observer). Nil when Pusher is off.
func (a *app) pusherObserver() (*webhooks.Observer, error) {
	if !a.cfg.PusherEnabled() {
		return nil, nil
	}
	for _, e := range a.cfg.Pusher.WebhookEvents {
		if !slices.Contains(webhooks.Names, e) {
			return nil, fmt.Errorf("--pusher_webhook_events: unknown event %q (known: %v)", e, webhooks.Names)
		}
	}
	log := a.log.With("context", "pusher")
	var store broker.Occupancy = memory.NewOccupancy()
	if o, ok := a.broker.(broker.Occupancy); ok {
		store = o // cluster-wide: Redis or NATS
	}
	p := &pusherAPI{tracker: pusher.NewTracker(store, subscriberCount(func(s string) int { return a.hub.Subscribers(s) }), log)}
	if len(a.cfg.Pusher.WebhookURL) > 0 {
		opts := webhooks.DefaultOptions()
		opts.URLs = a.cfg.Pusher.WebhookURL
		opts.Key, opts.Secret = a.cfg.Pusher.AppKey, a.cfg.Pusher.Secret
		opts.Events = a.cfg.Pusher.WebhookEvents
		p.sender = webhooks.New(opts, log.With("component", "webhooks"))
	}
	p.observer = webhooks.NewObserver(p.tracker, p.sender)
	a.pusher = p
	return p.observer, nil
}

// pusherClientEvent is the Pusher protocol's client event hook: the
// client_event webhook (nil without webhooks).
func (a *app) pusherClientEvent() func(channel, event string, data []byte, socketID, userID string) {
	if a.pusher == nil || a.pusher.sender == nil {
		return nil
	}
	return a.pusher.observer.ClientEvent
}

// setupPusherAPI mounts the API on the main port or makes its listener.
func (a *app) setupPusherAPI() {
	p := a.pusher
	if p == nil {
		return
	}
	if a.cfg.Pusher.Secret == "" {
		a.log.Warn("Pusher HTTP API is off: it needs --pusher_secret (or --secret)")
		return
	}
	var presence pusher.PresenceReader
	if a.broker != nil {
		presence = a.broker
	}
	p.handler = pusher.New(pusher.Options{
		AppID:       a.cfg.Pusher.AppID,
		Credentials: pusher.Credentials{Key: a.cfg.Pusher.AppKey, Secret: a.cfg.Pusher.Secret},
	}, a.pub, p.tracker, presence, a.log.With("context", "pusher"))
	if port := a.cfg.Pusher.APIPort; port == 0 || port == a.cfg.Server.Port {
		a.router.HandlePrefix(pusher.Prefix, p.handler)
		p.onMain = true
		return
	}
	p.srv = api.NewHTTPServer(p.handler, api.DefaultHTTPTimeouts)
}

func (a *app) startPusherAPI() error {
	p := a.pusher
	if p == nil {
		return nil
	}
	p.tracker.Start()
	if p.sender != nil {
		p.sender.Start()
		a.metrics.Add(func(add func(api.Metric)) {
			s := p.sender.Stats()
			add(api.Metric{Name: "pusher_webhooks_sent_total", Help: "The total number of Pusher webhook events delivered", Value: float64(s.Sent.Load())})
			add(api.Metric{Name: "pusher_webhooks_failed_total", Help: "The total number of Pusher webhook events given up after retries", Value: float64(s.Failed.Load())})
			add(api.Metric{Name: "pusher_webhooks_dropped_total", Help: "The total number of Pusher webhook events dropped from the full queue", Value: float64(s.Dropped.Load())})
		})
	}
	if p.handler == nil {
		return nil
	}
	addr := a.ws.Addr().String()
	if p.srv != nil {
		host := a.cfg.Server.Host
		ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(a.cfg.Pusher.APIPort)))
		if err != nil {
			return fmt.Errorf("pusher api listener: %w", err)
		}
		go func() { _ = p.srv.Serve(&api.RetryListener{Listener: ln, Log: a.log}) }()
		addr = ln.Addr().String()
	}
	a.log.Info(fmt.Sprintf("Handle Pusher API requests at http://%s%s%s/", addr, pusher.Prefix, a.cfg.Pusher.AppID))
	return nil
}

// stopPusherAPI runs after the sessions are closed: the node's last
// vacated channels reach the store and the queued webhooks go out, each
// within two seconds.
func (a *app) stopPusherAPI(ctx context.Context) {
	p := a.pusher
	if p == nil {
		return
	}
	if p.srv != nil {
		sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_ = p.srv.ShutdownWithContext(sctx)
		cancel()
	}
	dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	p.tracker.Drain(dctx)
	cancel()
	p.tracker.Stop()
	if p.sender != nil {
		sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		if err := p.sender.Shutdown(sctx); err != nil {
			a.log.Warn("Pusher webhooks not all delivered at shutdown", "error", err)
		}
		cancel()
	}
}
