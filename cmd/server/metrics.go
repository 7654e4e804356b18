package server

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/densecable/densecable/api"
	"github.com/densecable/densecable/cmd/config"
	"github.com/densecable/densecable/internal/metricsexport"
)

// setupMetrics registers every component's counters and mounts the
// Prometheus endpoint when --metrics_http is set: on the main router, or on
// its own listener when --metrics_host/--metrics_port say so.
func (a *app) setupMetrics() {
	m := api.NewMetrics(a.cfg.Metrics.Tags)
	a.metrics = m
	ns := a.node.Stats()
	m.Add(func(add func(api.Metric)) {
		add(api.Metric{Name: "client_msg_total", Help: "The total number of received messages from clients", Value: float64(ns.ClientMessages.Load())})
		add(api.Metric{Name: "failed_client_msg_total", Help: "The total number of unrecognized messages received from clients", Value: float64(ns.FailedClientMessages.Load())})
		add(api.Metric{Name: "server_msg_total", Help: "The total number of messages sent to clients", Value: float64(ns.ServerMessages.Load())})
		add(api.Metric{Name: "failed_server_msg_total", Help: "The total number of messages failed to send to clients", Value: float64(ns.FailedServerMessages.Load())})
		add(api.Metric{Name: "data_rcvd_total", Help: "The total amount of bytes received from clients", Value: float64(ns.BytesReceived.Load())})
		add(api.Metric{Name: "failed_auths_total", Help: "The total number of failed authentication attempts", Value: float64(ns.FailedAuths.Load())})
		add(api.Metric{Name: "disconnected_slow_clients_total", Help: "The total number of slow clients disconnected", Value: float64(ns.SlowClients.Load())})
		add(api.Metric{Name: "remote_commands_total", Help: "The total number of remote commands received", Value: float64(ns.RemoteCommands.Load())})
		add(api.Metric{Name: "clients_num", Help: "The number of active clients", Gauge: true, Value: float64(ns.Clients.Load())})
		add(api.Metric{Name: "disconnect_queue_size", Help: "The size of delayed disconnect", Gauge: true, Value: float64(ns.DisconnectQueue.Load())})
	})
	hs := a.hub.Stats()
	m.Add(func(add func(api.Metric)) {
		add(api.Metric{Name: "broadcast_msg_total", Help: "The total number of messages received through PubSub (for broadcast)", Value: float64(hs.Broadcasts.Load())})
		add(api.Metric{Name: "broadcast_streams_num", Help: "The number of active broadcasting streams", Gauge: true, Value: float64(a.hub.StreamsCount())})
	})
	m.Add(func(add func(api.Metric)) {
		add(api.Metric{Name: "unhealthy_dependencies_num", Help: "The number of broadcasters and broker/pub-sub connections whose Redis or NATS has been unreachable for max_reconnect_attempts", Gauge: true, Value: float64(a.unhealthy())})
	})
	m.Add(func(add func(api.Metric)) {
		ps := a.ws.Stats()
		add(api.Metric{Name: "data_sent_total", Help: "The total amount of bytes sent to clients", Value: float64(ps.BytesSent)})
	})
	if a.rpc != nil {
		m.Add(func(add func(api.Metric)) {
			rs := a.rpc.Stats()
			add(api.Metric{Name: "rpc_call_total", Help: "The total number of RPC calls", Value: float64(rs.CallTotal)})
			add(api.Metric{Name: "rpc_retries_total", Help: "The total number of retried RPC calls", Value: float64(rs.RetriesTotal)})
			add(api.Metric{Name: "rpc_error_total", Help: "The total number of failed RPC calls", Value: float64(rs.ErrorTotal)})
			add(api.Metric{Name: "rpc_timeout_total", Help: "The total number of timed out RPC calls", Value: float64(rs.TimeoutTotal)})
			add(api.Metric{Name: "rpc_canceled_total", Help: "The total number of canceled RPC calls", Value: float64(rs.CanceledTotal + ns.CanceledCommands.Load())})
			add(api.Metric{Name: "rpc_pending_num", Help: "The number of pending RPC calls", Gauge: true, Value: float64(rs.PendingNum)})
			if rs.Adaptive {
				add(api.Metric{Name: "rpc_capacity_num", Help: "The max number of concurrent RPC calls allowed", Gauge: true, Value: float64(rs.CapacityNum)})
			}
			if rs.HasActiveConns {
				add(api.Metric{Name: "grpc_active_conn_num", Help: "The number of active HTTP connections used by gRPC", Gauge: true, Value: float64(rs.GRPCActiveConnNum)})
			}
		})
	}
	if p := a.cfg.Metrics.HTTP; p != "" {
		if _, separate := metricsAddr(a.cfg); separate {
			// Only the metrics path: the public port does not serve it, and
			// the metrics port serves nothing else.
			r := api.NewRouter()
			r.Handle(p, m.Handler)
			a.mout.srv = api.NewHTTPServer(r.Serve, api.DefaultHTTPTimeouts)
		} else {
			a.router.Handle(p, m.Handler)
		}
	}
}

// metricsOutput is what serves or pushes the metrics besides the main
// router: the separate Prometheus listener and the log/StatsD exporter.
type metricsOutput struct {
	srv *fasthttp.Server
	ln  net.Listener
}

// metricsAddr is the Prometheus listener address; separate when
// --metrics_host or --metrics_port name another one than the main server's
// (as anycable-go: the port defaults to the main port, the host to the
// main host).
func metricsAddr(c *config.Config) (string, bool) {
	host, port := c.Metrics.Host, c.Metrics.Port
	if host == "" {
		host = c.Server.Host
	}
	if port == 0 {
		port = c.Server.Port
	}
	return net.JoinHostPort(host, strconv.Itoa(port)), host != c.Server.Host || port != c.Server.Port
}

// startMetrics opens the separate metrics listener and starts the exporter
// goroutine (one, until stop is closed) when the log or StatsD is on.
func (a *app) startMetrics(stop <-chan struct{}) error {
	if p := a.cfg.Metrics.HTTP; p != "" {
		addr := a.ws.Addr().String()
		if a.mout.srv != nil {
			bind, _ := metricsAddr(a.cfg)
			ln, err := a.listen(socketMetrics, bind)
			if err != nil {
				return fmt.Errorf("metrics listener %s: %w", bind, err)
			}
			a.mout.ln = ln
			go func() { _ = a.mout.srv.Serve(&api.RetryListener{Listener: ln, Log: a.log}) }()
			addr = ln.Addr().String()
		}
		a.log.Info(fmt.Sprintf("Serve metrics at http://%s%s", addr, p))
	}
	opts := exportOptions(a.cfg.Metrics)
	if !opts.Enabled() {
		return nil
	}
	e, err := metricsexport.New(opts, a.metrics, a.log.With("context", "metrics"))
	if err != nil {
		return err
	}
	go e.Run(stop)
	return nil
}

// exportOptions maps the flags to the exporter. An mruby formatter, which
// turns the log on in anycable-go, gets the plain line (and a warning).
func exportOptions(mc config.MetricsConfig) metricsexport.Options {
	return metricsexport.Options{
		Interval:            time.Duration(mc.RotateInterval) * time.Second,
		Log:                 mc.Log || mc.LogFormatter != "",
		LogFilter:           metricsexport.Filter(mc.LogFilter),
		StatsdHost:          mc.StatsdHost,
		StatsdPrefix:        mc.StatsdPrefix,
		StatsdTagsFormat:    mc.StatsdTagsFormat,
		StatsdMaxPacketSize: mc.StatsdMaxPacketSize,
		Tags:                mc.Tags,
	}
}

// stopMetrics closes the separate metrics listener (the exporter stops
// with the stats channel).
func (a *app) stopMetrics(ctx context.Context) {
	if a.mout.ln != nil {
		_ = a.mout.srv.ShutdownWithContext(ctx)
	}
}
