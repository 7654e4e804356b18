package metricsexport

import (
	"testing"

	"github.com/densecable/densecable/api"
)

// A line rendered by Statsd reads back as the same name, type, value and
// tags in every format, whatever the name, tag and value (names and tags
// come from code and --metrics_tags, never from clients, but the property
// pins the format).
func FuzzStatsdRoundTrip(f *testing.F) {
	f.Add("clients_num", "env", "prod", int64(3), true)
	f.Add("rpc_call_total", "node", "a-1", int64(12), false)
	f.Fuzz(func(t *testing.T, name, tk, tv string, value int64, gauge bool) {
		if !plain(name) || !plain(tk) || !plain(tv) || value < 0 || value > 1<<53 || (!gauge && value == 0) {
			return
		}
		for _, format := range []string{"datadog", "influxdb", "graphite"} {
			s, err := NewStatsd("p.", format, map[string]string{tk: tv})
			if err != nil {
				t.Fatal(err)
			}
			line, ok := s.AppendLine(nil, api.Metric{Name: name, Gauge: gauge, Value: float64(value)})
			if !ok {
				t.Fatalf("no line for %q", name)
			}
			got, err := ParseDatagram(format, line)
			if err != nil {
				t.Fatalf("%s %q: %v", format, line, err)
			}
			typ := "c"
			if gauge {
				typ = "g"
			}
			if len(got) != 1 || got[0].Name != "p."+name || got[0].Type != typ || got[0].Tags[tk] != tv || len(got[0].Tags) != 1 ||
				(float64(got[0].Value) != float64(value)) {
				t.Fatalf("%s %q read back as %+v", format, line, got)
			}
			grams, _ := s.Pack([]api.Metric{{Name: name, Gauge: gauge, Value: float64(value)}}, 64)
			for _, g := range grams {
				if len(g) > 64 {
					t.Fatalf("datagram of %d bytes", len(g))
				}
			}
		}
	})
}

// plain is what metric names and tags are made of: no separator of any
// format.
func plain(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}
