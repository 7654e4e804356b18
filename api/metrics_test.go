package api

import (
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

func TestMetricsRendering(t *testing.T) {
	m := NewMetrics(map[string]string{"env": "test"})
	m.Add(func(add func(Metric)) {
		add(Metric{Name: "clients_num", Help: "The number of active clients", Gauge: true, Value: 3})
		add(Metric{Name: "client_msg_total", Help: "The total number of received messages", Value: 42})
	})
	var ctx fasthttp.RequestCtx
	m.Handler(&ctx)
	body := string(ctx.Response.Body())
	want := "\n# HELP anycable_go_client_msg_total The total number of received messages\n# TYPE anycable_go_client_msg_total counter\nanycable_go_client_msg_total{env=\"test\"} 42\n"
	if !strings.HasPrefix(body, want) {
		t.Fatalf("counters must come first:\n%s", body)
	}
	if !strings.Contains(body, "anycable_go_clients_num{env=\"test\"} 3\n") || !strings.Contains(body, "# TYPE anycable_go_goroutines_num gauge") {
		t.Fatalf("gauges missing:\n%s", body)
	}
}
