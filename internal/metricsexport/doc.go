// Package metricsexport pushes the metrics registry (api.Metrics) out on a
// timer, as anycable-go's metrics writers do: a log line (--metrics_log)
// and StatsD datagrams (--statsd_host), every --metrics_rotate_interval.
// Counters go out as the change since the previous rotation, gauges as
// their current value. One goroutine (Exporter.Run) does all of it.
package metricsexport
