package main

import (
	"net/http"
	"time"

	"github.com/densecable/densecable/api"
	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/poller"
	"github.com/densecable/densecable/sessions/actioncable"
	"github.com/densecable/densecable/sessions/longpoll"
)

// setupLongPoll serves --poll: a held route on the main port.
func (a *app) setupLongPoll(routes *heldRoutes) {
	cfg := a.cfg.Poll
	if !cfg.Enabled {
		return
	}
	maxBuffer := int(a.cfg.WS.MaxPendingSize)
	if maxBuffer <= 0 {
		maxBuffer = 1 << 20
	}
	srv := longpoll.New(longpoll.Options{
		Interval:         time.Duration(cfg.Interval) * time.Second,
		FlushInterval:    time.Duration(cfg.FlushInterval) * time.Millisecond,
		KeepaliveTimeout: time.Duration(cfg.KeepaliveTimeout) * time.Second,
		MaxRequestSize:   cfg.MaxRequestSize,
		MaxBuffer:        maxBuffer,
	}, a.node, actioncable.Default(), a.log.With("context", "longpoll"))
	a.closers = append(a.closers, srv.Shutdown)
	cors := newHeldCORS(a.cfg.Server.AllowedOrigins)
	routes.add(heldRoute{path: cfg.Path, maxBody: cfg.MaxRequestSize, serve: func(c *poller.Conn, req *poller.HTTPRequest) poller.HTTPReceiver {
		w := &pollResponse{c: c, cors: cors.headers(nil, req, "POST, OPTIONS")}
		if req.Method == http.MethodOptions {
			w.Respond(http.StatusOK, nil, nil)
			return nil
		}
		p := srv.Serve(&longpoll.Request{Method: req.Method, Req: &req.Request, Body: req.Body, RemoteIP: c.RemoteIP()}, w)
		if p == nil {
			return nil
		}
		return heldPoll{srv, p, w}
	}})
	a.metrics.Add(func(add func(api.Metric)) {
		add(api.Metric{Name: "long_poll_clients_num", Help: "The number of active long polling clients", Gauge: true, Value: float64(srv.Clients())})
		add(api.Metric{Name: "long_poll_stale_requests_total", Help: "The number of requests for expired long polling sessions", Value: float64(srv.StaleRequests())})
	})
	a.startLines = append(a.startLines, func() {
		a.log.Info("Handle long polling requests at "+a.baseURL()+cfg.Path, "poll_interval", cfg.Interval, "keepalive_timeout", cfg.KeepaliveTimeout)
	})
}

// pollResponse answers a long-poll request on its held connection.
type pollResponse struct {
	c    *poller.Conn
	cors []frames.Header
}

func (w *pollResponse) Respond(status int, h []frames.Header, body []byte) {
	w.c.Respond(status, append(w.cors, h...), body)
}

// heldPoll hears about a held poll's client leaving.
type heldPoll struct {
	srv *longpoll.Server
	p   *longpoll.Poll
	w   *pollResponse
}

func (h heldPoll) OnClose() { h.srv.Cancel(h.p, h.w) }
