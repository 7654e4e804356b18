package server

import "github.com/densecable/densecable/cmd/config"

// unsupportedFeature is an anycable-go feature densecable does not serve yet
// (docs/compatibility.md), with the settings that only configure it.
type unsupportedFeature struct {
	name     string // as the warning names it
	on       func(c *config.Config) bool
	settings []string // flags that have no effect without the feature
}

// unsupportedFeatures is a slice, not a map, so that the warnings come out
// in the same order on every start.
var unsupportedFeatures = []unsupportedFeature{
	// The plain metrics log is served; an mruby formatter is not.
	{"--metrics_log_formatter (mruby metrics formatter)", func(c *config.Config) bool { return c.Metrics.LogFormatter != "" }, nil},
}

// startupWarnings lists, in a fixed order, what a configuration asks for
// and does not get: unsupported features, settings of those features given
// without them, and settings the event loop has no use for. A switched
// deployment learns it from the first log lines, not from its users.
func startupWarnings(c *config.Config) []string {
	var out []string
	for _, f := range unsupportedFeatures {
		if f.on(c) {
			out = append(out, "Not supported by this densecable version, ignored: "+f.name)
			continue
		}
		for _, s := range f.settings {
			if c.ExplicitlySet(s) {
				out = append(out, "--"+s+" has no effect: "+f.name+" is not supported by this densecable version")
			}
		}
	}
	if !c.Server.NetpollEnabled {
		out = append(out, "--netpoll_enabled=false is ignored: a goroutine per connection is not offered, the event loop serves every connection")
	}
	if c.ExplicitlySet("write_buffer_size") {
		out = append(out, "--write_buffer_size has no effect: the event loop writes each encoded frame straight to the socket, there is no per-connection write buffer")
	}
	if c.ExplicitlySet("read_buffer_size") && c.Server.Poller != "netpoll" {
		out = append(out, "--read_buffer_size has no effect with --poller="+c.Server.Poller+": each event loop reads into one shared buffer")
	}
	if c.Public {
		out = append(out, "Server is running in the public mode")
	}
	if c.HasBroadcastAdapter("http") && c.Broadcast.Key == "" && !c.Public {
		out = append(out, "HTTP broadcasting accepts unauthenticated publications: anyone who can reach "+
			c.Broadcast.HTTPPath+" can publish to any stream; set --broadcast_key or --secret")
	}
	// --reuse_port: the kernel spreads clients over the processes, so
	// whatever lives in one process alone misses the others' clients.
	if c.Server.ReusePort && c.PubSub.Adapter == "" && c.HasBroadcastAdapter("http") {
		out = append(out, "--reuse_port without --pubsub: an HTTP broadcast reaches only the clients of the process that received it; set --pubsub=nats or --pubsub=redis")
	}
	if c.Server.ReusePort && c.Poll.Enabled {
		out = append(out, "--reuse_port with --poll: long-poll sessions live in one process and the kernel picks a process per TCP connection, so a poll on a new connection may get 401; route clients stickily (docs/long-polling.md)")
	}
	return out
}

func (a *app) warnUnsupported() {
	for _, w := range startupWarnings(a.cfg) {
		a.log.Warn(w)
	}
}

// broadcastAuthMode is the suffix of the "Accept broadcast requests" line,
// as anycable-go prints it.
func broadcastAuthMode(c *config.Config) string {
	if c.Broadcast.Key == "" {
		return " (no authorization)"
	}
	return " (authorization required)"
}
