package api

import (
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// Metric is one value in anycable-go's naming (rendered with the
// anycable_go_ prefix).
type Metric struct {
	Name  string
	Help  string
	Gauge bool
	Value float64
}

// MetricsSource yields current values; the app registers one per component.
type MetricsSource func(add func(Metric))

// Metrics renders Prometheus text: all counters first, then all gauges, as
// the reference does. Runtime gauges (goroutines_num, mem_sys_bytes) are
// sampled every refresh interval, not per request.
type Metrics struct {
	sources []MetricsSource
	tags    string

	goroutines atomic.Int64
	memSys     atomic.Uint64
}

// NewMetrics creates the registry; tags are "k:v" pairs (--metrics_tags).
func NewMetrics(tags map[string]string) *Metrics {
	m := &Metrics{}
	if len(tags) > 0 {
		keys := make([]string, 0, len(tags))
		for k := range tags {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, k+`="`+tags[k]+`"`)
		}
		m.tags = "{" + strings.Join(parts, ", ") + "}"
	}
	m.refresh()
	m.Add(func(add func(Metric)) {
		add(Metric{Name: "goroutines_num", Help: "The number of Go routines", Gauge: true, Value: float64(m.goroutines.Load())})
		add(Metric{Name: "mem_sys_bytes", Help: "The total bytes of memory obtained from the OS", Gauge: true, Value: float64(m.memSys.Load())})
	})
	return m
}

// Add registers a source.
func (m *Metrics) Add(s MetricsSource) { m.sources = append(m.sources, s) }

// RefreshEvery samples the runtime gauges until stop is closed.
func (m *Metrics) RefreshEvery(d time.Duration, stop <-chan struct{}) { Every(d, stop, m.refresh) }

// Every calls f every d until stop is closed, on the calling goroutine
// (the metrics refresher and exporter loops).
func Every(d time.Duration, stop <-chan struct{}, f func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			f()
		}
	}
}

func (m *Metrics) refresh() {
	m.goroutines.Store(int64(runtime.NumGoroutine()))
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m.memSys.Store(ms.Sys)
}

// Snapshot collects every metric, counters first.
func (m *Metrics) Snapshot() []Metric {
	var counters, gauges []Metric
	for _, s := range m.sources {
		s(func(x Metric) {
			if x.Gauge {
				gauges = append(gauges, x)
			} else {
				counters = append(counters, x)
			}
		})
	}
	return append(counters, gauges...)
}

// Handler serves the Prometheus text format.
func (m *Metrics) Handler(ctx *fasthttp.RequestCtx) {
	var b []byte
	for _, x := range m.Snapshot() {
		typ := "counter"
		if x.Gauge {
			typ = "gauge"
		}
		name := "anycable_go_" + x.Name
		b = append(b, "\n# HELP "...)
		b = append(b, name...)
		b = append(b, ' ')
		b = append(b, x.Help...)
		b = append(b, "\n# TYPE "...)
		b = append(b, name...)
		b = append(b, ' ')
		b = append(b, typ...)
		b = append(b, '\n')
		b = append(b, name...)
		b = append(b, m.tags...)
		b = append(b, ' ')
		b = strconv.AppendFloat(b, x.Value, 'f', -1, 64)
		b = append(b, '\n')
	}
	ctx.SetContentType("text/plain; version=0.0.4; charset=utf-8")
	ctx.SetBody(b)
}
