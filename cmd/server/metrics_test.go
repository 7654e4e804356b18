package server

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/densecable/densecable/api"
	"github.com/densecable/densecable/internal/metricsexport"
)

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// With --metrics_port the Prometheus endpoint moves to its own listener:
// the public port answers 404 for the path, and the metrics listener
// serves nothing else.
func TestMetricsOnSeparatePort(t *testing.T) {
	app := startTestApp(t)
	port := freePort(t)
	srv := startServer(t, "--rpc_host="+app.addr, "--metrics_http=/metrics", fmt.Sprintf("--metrics_port=%d", port))
	c := dial(t, srv.wsURL("/cable?user=m"))
	c.read()
	metricsURL := fmt.Sprintf("http://127.0.0.1:%d", port)
	eventually(t, "clients_num 1 on the metrics port", func() bool {
		code, body := httpGet(t, metricsURL+"/metrics")
		return code == 200 && strings.Contains(body, "\nanycable_go_clients_num 1\n")
	})
	if code, body := httpGet(t, srv.httpURL("/metrics")); code != 404 || strings.Contains(body, "anycable_go_") {
		t.Fatalf("public port /metrics: %d %q", code, body)
	}
	if code, _ := httpGet(t, metricsURL+"/health"); code != 404 {
		t.Fatalf("metrics port /health: %d", code)
	}
	// The same port as the main server is the main router, as anycable-go.
	srv2 := startServer(t, "--rpc_host="+app.addr, "--metrics_http=/m2", "--metrics_host=127.0.0.1")
	if code, body := httpGet(t, srv2.httpURL("/m2")); code != 200 || !strings.Contains(body, "anycable_go_clients_num") {
		t.Fatalf("main port /m2: %d %q", code, body)
	}
}

// The running server pushes its registry to a real UDP listener every
// rotation: every datagram parses, fits --statsd_max_packet_size, carries
// the tags, and clients_num shows the connected client.
func TestMetricsStatsd(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	app := startTestApp(t)
	srv := startServer(t, "--rpc_host="+app.addr, "--statsd_host="+pc.LocalAddr().String(), "--metrics_rotate_interval=1",
		"--statsd_tags_format=influxdb", "--metrics_tags=env:e2e", "--statsd_max_packet_size=300", "--statsd_prefix=dc.")
	c := dial(t, srv.wsURL("/cable?user=s"))
	c.read()
	buf := make([]byte, 65536)
	seen := map[string]string{}
	deadline := time.Now().Add(20 * time.Second)
	gauges := []string{"dc.goroutines_num", "dc.mem_sys_bytes", "dc.broadcast_streams_num", "dc.disconnect_queue_size", "dc.rpc_pending_num"}
	allGauges := func() bool {
		for _, name := range gauges {
			if !strings.HasPrefix(seen[name], "g=") {
				return false
			}
		}
		return true
	}
	for seen["dc.clients_num"] != "g=1" || seen["dc.rpc_call_total"] != "c=1" || !allGauges() {
		if time.Now().After(deadline) {
			t.Fatalf("no clients_num=1, rpc_call_total=1 and every gauge in 20 s: %v", seen)
		}
		_ = pc.SetReadDeadline(deadline)
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			t.Fatalf("read: %v (seen %v)", err, seen)
		}
		if n > 300 {
			t.Fatalf("datagram of %d bytes", n)
		}
		lines, err := metricsexport.ParseDatagram("influxdb", buf[:n])
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range lines {
			if l.Tags["env"] != "e2e" || len(l.Tags) != 1 || !strings.HasPrefix(l.Name, "dc.") {
				t.Fatalf("line %+v", l)
			}
			seen[l.Name] = fmt.Sprintf("%s=%d", l.Type, l.Value)
		}
	}
}

// The metrics log line in the server's text format: time, INF, then the
// sorted name=value pairs (no message), then the context.
func TestMetricsLogLine(t *testing.T) {
	var buf bytes.Buffer
	m := api.NewMetrics(nil)
	m.Add(func(add func(api.Metric)) {
		add(api.Metric{Name: "rpc_call_total", Value: 3})
		add(api.Metric{Name: "clients_num", Gauge: true, Value: 2})
	})
	e, err := metricsexport.New(metricsexport.Options{Log: true, LogFilter: metricsexport.Filter([]string{"clients_num", "rpc_call_total"})},
		m, newLogger(&buf, "info", "text").With("context", "metrics"))
	if err != nil {
		t.Fatal(err)
	}
	e.Flush()
	line := strings.TrimSuffix(buf.String(), "\n")
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} INF clients_num=2 rpc_call_total=3 context=metrics$`).MatchString(line) {
		t.Fatalf("%q", line)
	}
}

// The flags reach the exporter: the deprecated interval when the rotate
// interval is 0, the filter, and the log turned on by a formatter script
// (anycable-go's LogEnabled), which gets the plain line.
func TestMetricsExportOptions(t *testing.T) {
	o := exportOptions(parseConfig(t, "--metrics_log_formatter=f.rb", "--metrics_log_filter=clients_num").Metrics)
	if !o.Log || o.Interval != 15*time.Second || len(o.LogFilter) != 1 || o.StatsdHost != "" || !o.Enabled() {
		t.Fatalf("%+v", o)
	}
	o = exportOptions(parseConfig(t, "--metrics_log_interval=7", "--metrics_rotate_interval=0", "--statsd_host=h:1").Metrics)
	if o.Log || o.Interval != 7*time.Second || o.StatsdHost != "h:1" || o.StatsdPrefix != "anycable_go." ||
		o.StatsdMaxPacketSize != 1400 || o.StatsdTagsFormat != "datadog" {
		t.Fatalf("%+v", o)
	}
	if exportOptions(parseConfig(t).Metrics).Enabled() {
		t.Fatal("exporter on by default")
	}
}
