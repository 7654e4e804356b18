package server

import (
	"time"

	"github.com/densecable/densecable/api"
	"github.com/densecable/densecable/poller"
	"github.com/densecable/densecable/sessions/durablestreams"
)

// setupDurableStreams serves --ds: a held route on the main port under
// --ds_path.
func (a *app) setupDurableStreams(wsh *wsHandler) {
	cfg := a.cfg.DS
	if !cfg.Enabled {
		return
	}
	log := a.log.With("context", "ds")
	if a.broker == nil {
		log.Warn("Durable Streams without a broker (--broker): streams have no history, reads only see live publications")
	}
	srv := durablestreams.New(durablestreams.Options{
		Path:         cfg.Path,
		SkipAuth:     cfg.SkipAuth,
		PollInterval: time.Duration(cfg.PollInterval) * time.Second,
		SSETTL:       time.Duration(cfg.SSETTL) * time.Second,
		Public:       a.cfg.Streams.Public || a.cfg.Public,
		Secret:       a.cfg.Streams.Secret,
	}, durablestreams.Deps{Node: a.node, Hub: a.hub, Broker: a.broker}, log)
	// Before the node's shutdown: live readers get their answer (410, end
	// of stream) while the connections are still there.
	a.beforeStop = append(a.beforeStop, srv.Shutdown)
	cors := newHeldCORS(a.cfg.Server.AllowedOrigins)
	// Reads have no body; a small one is read and ignored so that a write
	// attempt gets the reference's 405, a larger one 413.
	closeHandedOff(a.httpSrv)
	wsh.held = append(wsh.held, heldRoute{match: pathRoute(cfg.Path, true, 4096), serve: func(c *poller.Conn, req *poller.HTTPRequest) poller.HTTPReceiver {
		r := srv.Serve(c, req.Method, &req.Request, cors.headers(req, "GET, HEAD, OPTIONS"))
		if r == nil {
			return nil
		}
		return r
	}})
	st := srv.Stats()
	a.metrics.Add(func(add func(api.Metric)) {
		add(api.Metric{Name: "ds_requests_total", Help: "The total number of durable streams HEAD/GET requests", Value: float64(st.Requests.Load())})
		add(api.Metric{Name: "ds_poll_requests_total", Help: "The total number of durable streams long-poll requests", Value: float64(st.PollRequests.Load())})
		add(api.Metric{Name: "ds_sse_requests_total", Help: "The total number of durable streams SSE requests", Value: float64(st.SSERequests.Load())})
		add(api.Metric{Name: "ds_poll_clients_num", Help: "The number of active durable streams long-poll clients", Gauge: true, Value: float64(st.PollClients.Load())})
		add(api.Metric{Name: "ds_sse_clients_num", Help: "The number of active durable streams SSE clients", Gauge: true, Value: float64(st.SSEClients.Load())})
	})
	a.startLines = append(a.startLines, func() {
		a.log.Info("Handle Durable Streams requests at " + a.baseURL() + cfg.Path)
	})
}
