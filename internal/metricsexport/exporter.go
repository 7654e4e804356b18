package metricsexport

import (
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/densecable/densecable/api"
)

// Options configure an Exporter.
type Options struct {
	Interval time.Duration // --metrics_rotate_interval

	Log       bool                // --metrics_log
	LogFilter map[string]struct{} // --metrics_log_filter (nil = all)

	StatsdHost          string // --statsd_host (host:port, UDP); "" = off
	StatsdPrefix        string
	StatsdTagsFormat    string
	StatsdMaxPacketSize int
	Tags                map[string]string // --metrics_tags
}

// Enabled reports whether o asks for any periodic output.
func (o Options) Enabled() bool { return o.Log || o.StatsdHost != "" }

// Exporter writes the registry to the log and StatsD every interval.
type Exporter struct {
	opts    Options
	metrics *api.Metrics
	log     *slog.Logger
	statsd  *Statsd
	conn    net.Conn // UDP, connected to StatsdHost
	iv      Interval
	warned  time.Time // last StatsD failure warning (at most one a minute)
}

// New validates the options and opens the StatsD socket (a UDP "connect"
// sends nothing, so an absent StatsD server does not fail the start).
func New(opts Options, m *api.Metrics, log *slog.Logger) (*Exporter, error) {
	if opts.Interval <= 0 {
		opts.Interval = 15 * time.Second
	}
	e := &Exporter{opts: opts, metrics: m, log: log}
	if opts.StatsdHost != "" {
		s, err := NewStatsd(opts.StatsdPrefix, opts.StatsdTagsFormat, opts.Tags)
		if err != nil {
			return nil, err
		}
		c, err := net.Dial("udp", opts.StatsdHost)
		if err != nil {
			return nil, fmt.Errorf("--statsd_host: %w", err)
		}
		e.statsd, e.conn = s, c
	}
	return e, nil
}

// Run rotates and writes every interval until stop is closed; it is the
// exporter's only goroutine and closes the StatsD socket on return.
func (e *Exporter) Run(stop <-chan struct{}) {
	sec := int(e.opts.Interval / time.Second)
	if e.opts.Log {
		announceLog(e.log, sec, e.opts.LogFilter)
	}
	if e.conn != nil {
		defer e.conn.Close()
		tags := ""
		if len(e.opts.Tags) > 0 {
			tags = fmt.Sprintf(", tags=%v, style=%s", e.opts.Tags, e.opts.StatsdTagsFormat)
		}
		e.log.Info(fmt.Sprintf("Send statsd metrics to %s with every %vs (prefix=%s%s)", e.opts.StatsdHost, sec, e.opts.StatsdPrefix, tags))
	}
	api.Every(e.opts.Interval, stop, e.Flush)
}

// Flush rotates once and writes the interval's values (Run calls it on
// every tick; tests call it directly).
func (e *Exporter) Flush() {
	snap := e.iv.Rotate(e.metrics.Snapshot())
	if e.opts.Log {
		e.log.Info("", LogFields(snap, e.opts.LogFilter)...)
	}
	if e.conn != nil {
		e.send(snap)
	}
}

func (e *Exporter) send(snap []api.Metric) {
	grams, dropped := e.statsd.Pack(snap, e.opts.StatsdMaxPacketSize)
	if dropped > 0 {
		e.log.Debug("statsd metrics longer than --statsd_max_packet_size dropped", "count", dropped, "max", e.opts.StatsdMaxPacketSize)
	}
	var err error
	for _, g := range grams {
		if _, err = e.conn.Write(g); err != nil {
			break
		}
	}
	// A UDP error is the ICMP answer to an earlier datagram (nobody
	// listens): it says little about the next one, so warn at most once a
	// minute instead of tracking a state.
	if err != nil && time.Since(e.warned) >= time.Minute {
		e.warned = time.Now()
		e.log.Warn("statsd send failed", "host", e.opts.StatsdHost, "error", err)
	}
}
