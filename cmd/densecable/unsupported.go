package main

// warnUnsupported names the anycable-go features a configuration turns on
// that densecable does not serve yet (docs/compatibility.md), so that a
// switched deployment learns it from the first log lines, not from users.
func (a *app) warnUnsupported() {
	c := a.cfg
	off := map[string]bool{
		"--sse (Server-Sent Events)":         c.SSE.Enabled,
		"--poll (long polling)":              c.Poll.Enabled,
		"--ds (Durable Streams)":             c.DS.Enabled,
		"--pusher_app_key (Pusher protocol)": c.PusherEnabled(),
		"--graphql_path (Apollo GraphQL)":    c.Apollo.Path != "",
		"--ocpp_path (OCPP)":                 c.OCPP.Path != "",
		"--statsd_host (StatsD metrics)":     c.Metrics.StatsdHost != "",
		"--metrics_log (metrics in the log)": c.Metrics.Log,
		"--enable_ws_compression":            c.WS.EnableCompression,
	}
	for name, on := range off {
		if on {
			a.log.Warn("Not supported by this densecable version, ignored: " + name)
		}
	}
}
