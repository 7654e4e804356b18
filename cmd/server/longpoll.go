package server

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
func (a *app) setupLongPoll(wsh *wsHandler) {
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
	closeHandedOff(a.httpSrv)
	wsh.held = append(wsh.held, heldRoute{match: pathRoute(cfg.Path, false, cfg.MaxRequestSize), serve: func(c *poller.Conn, req *poller.HTTPRequest) poller.HTTPReceiver {
		w := &heldPoll{c: c, cors: cors.headersRef(req, "POST, OPTIONS")}
		if req.Method == http.MethodOptions {
			w.Respond(http.StatusOK, nil, "", nil)
			return nil
		}
		w.p = srv.Serve(&longpoll.Request{Method: req.Method, Req: &req.Request, Body: req.Body, RemoteIP: c.RemoteIP()}, w)
		if w.p == nil {
			return nil
		}
		return w // the engine registers it after ServeHeld: OnClose sees w.p
	}})
	a.metrics.Add(func(add func(api.Metric)) {
		add(api.Metric{Name: "long_poll_clients_num", Help: "The number of active long polling clients", Gauge: true, Value: float64(srv.Clients())})
		add(api.Metric{Name: "long_poll_stale_requests_total", Help: "The number of requests for expired long polling sessions", Value: float64(srv.StaleRequests())})
	})
	a.startLines = append(a.startLines, func() {
		a.log.Info("Handle long polling requests at "+a.baseURL()+cfg.Path, "poll_interval", cfg.Interval, "keepalive_timeout", cfg.KeepaliveTimeout)
	})
}

// heldPoll is one long-poll request on its held connection: it answers
// it (longpoll.Responder) and hears about its client leaving
// (poller.HTTPReceiver).
//
// Every idle session keeps one while its request is held: three words
// (24 bytes, TestHeldPollSize), the CORS headers behind a shared pointer.
type heldPoll struct {
	c    *poller.Conn
	cors *[]frames.Header // shared, never modified
	p    *longpoll.Poll
}

func (w *heldPoll) Respond(status int, h []frames.Header, pollID string, body []byte) {
	// On the stack: Conn.Respond renders the headers and keeps none.
	var buf [8]frames.Header
	hs := append(append(buf[:0], *w.cors...), h...)
	if pollID != "" {
		hs = append(hs, frames.Header{Key: longpoll.PollIDHeader, Value: pollID})
	}
	w.c.Respond(status, hs, body)
}

func (w *heldPoll) OnClose() { w.p.Cancel(w) }
