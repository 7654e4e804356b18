package metricsexport

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/densecable/densecable/api"
)

// parseStatsd is ParseDatagram failing the test on error.
func parseStatsd(t *testing.T, format string, gram []byte) []Line {
	t.Helper()
	lines, err := ParseDatagram(format, gram)
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

// testRegistry has counters a_total (settable), zero_total (never moves)
// and gauges g_num, plus the registry's own runtime gauges.
func testRegistry(counter *atomic.Int64, gauge *atomic.Int64) *api.Metrics {
	m := api.NewMetrics(nil)
	m.Add(func(add func(api.Metric)) {
		add(api.Metric{Name: "a_total", Value: float64(counter.Load())})
		add(api.Metric{Name: "zero_total", Value: 0})
		add(api.Metric{Name: "g_num", Gauge: true, Value: float64(gauge.Load())})
		for i := range 20 {
			add(api.Metric{Name: "filler_" + strconv.Itoa(i) + "_num", Gauge: true, Value: float64(i)})
		}
	})
	return m
}

// Every datagram a real UDP listener receives, in each tag format, parses,
// fits --statsd_max_packet_size, and together they carry each metric once
// per rotation with the right type, value (counters as deltas) and tags.
func TestStatsdOverUDP(t *testing.T) {
	for _, format := range []string{"datadog", "influxdb", "graphite"} {
		t.Run(format, func(t *testing.T) {
			pc, err := net.ListenPacket("udp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer pc.Close()
			var counter, gauge atomic.Int64
			counter.Store(7)
			gauge.Store(3)
			const max = 200
			tags := map[string]string{"env": "test", "node": "n1"}
			e, err := New(Options{StatsdHost: pc.LocalAddr().String(), StatsdPrefix: "anycable_go.", StatsdTagsFormat: format,
				StatsdMaxPacketSize: max, Tags: tags, Interval: time.Hour}, testRegistry(&counter, &gauge), slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			defer e.conn.Close()

			receive := func() map[string]Line {
				e.Flush()
				got := map[string]Line{}
				buf := make([]byte, 65536)
				// The registry's 25 metrics less the still counter: 24 lines.
				for len(got) < 24 {
					_ = pc.SetReadDeadline(time.Now().Add(10 * time.Second))
					n, _, err := pc.ReadFrom(buf)
					if err != nil {
						t.Fatalf("after %d lines: %v", len(got), err)
					}
					if n > max {
						t.Fatalf("datagram of %d bytes > %d", n, max)
					}
					for _, l := range parseStatsd(t, format, buf[:n]) {
						if _, dup := got[l.Name]; dup {
							t.Fatalf("%s twice in one rotation", l.Name)
						}
						if len(l.Tags) != 2 || l.Tags["env"] != "test" || l.Tags["node"] != "n1" {
							t.Fatalf("%s tags %v", l.Name, l.Tags)
						}
						got[l.Name] = l
					}
				}
				return got
			}
			first := receive()
			if l := first["anycable_go.a_total"]; l.Type != "c" || l.Value != 7 {
				t.Fatalf("a_total first rotation: %+v", l)
			}
			if l := first["anycable_go.g_num"]; l.Type != "g" || l.Value != 3 {
				t.Fatalf("g_num: %+v", l)
			}
			if l := first["anycable_go.mem_sys_bytes"]; l.Type != "g" || l.Value <= 0 {
				t.Fatalf("mem_sys_bytes: %+v", l)
			}
			if _, ok := first["anycable_go.zero_total"]; ok {
				t.Fatal("a counter that did not move was sent")
			}
			counter.Store(12)
			gauge.Store(1)
			second := receive()
			if l := second["anycable_go.a_total"]; l.Type != "c" || l.Value != 5 {
				t.Fatalf("a_total delta: %+v, want 5", l)
			}
			if l := second["anycable_go.g_num"]; l.Value != 1 {
				t.Fatalf("g_num: %+v", l)
			}
		})
	}
}

func TestStatsdPackBounds(t *testing.T) {
	s, err := NewStatsd("p.", "datadog", nil)
	if err != nil {
		t.Fatal(err)
	}
	var snap []api.Metric
	for i := range 100 {
		snap = append(snap, api.Metric{Name: "metric_" + strconv.Itoa(i), Gauge: true, Value: float64(i)})
	}
	for _, max := range []int{10, 20, 64, 100, 1400} {
		grams, dropped := s.Pack(snap, max)
		var all []byte
		for _, g := range grams {
			if len(g) > max || len(g) == 0 {
				t.Fatalf("max %d: datagram of %d bytes", max, len(g))
			}
			all = append(all, g...)
		}
		lines := bytes.Count(all, []byte("\n"))
		if lines+dropped != 100 {
			t.Fatalf("max %d: %d lines + %d dropped, want 100", max, lines, dropped)
		}
		if max >= 64 && dropped != 0 {
			t.Fatalf("max %d dropped %d", max, dropped)
		}
		if max == 1400 && len(grams) != 2 {
			// 100 lines of 18-20 bytes: 1,890 bytes pack into two datagrams.
			t.Fatalf("1400: %d datagrams", len(grams))
		}
	}
	if _, err := NewStatsd("", "json", nil); err == nil {
		t.Fatal("unknown format accepted")
	}
}

func TestStatsdUnreachableHostDoesNotFail(t *testing.T) {
	var buf bytes.Buffer
	var c, g atomic.Int64
	c.Store(1)
	// A port nobody listens on: the kernel answers ICMP port unreachable,
	// the next write fails with ECONNREFUSED; one warning, no error.
	pc, _ := net.ListenPacket("udp", "127.0.0.1:0")
	addr := pc.LocalAddr().String()
	pc.Close()
	e, err := New(Options{StatsdHost: addr, StatsdPrefix: "x.", StatsdTagsFormat: "datadog", StatsdMaxPacketSize: 1400},
		testRegistry(&c, &g), slog.New(slog.NewTextHandler(&buf, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer e.conn.Close()
	for range 5 {
		e.Flush()
	}
	if n := strings.Count(buf.String(), "statsd send failed"); n != 1 {
		t.Fatalf("%d warnings, want 1:\n%s", n, buf.String())
	}
}
