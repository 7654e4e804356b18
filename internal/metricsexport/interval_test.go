package metricsexport

import (
	"testing"

	"github.com/densecable/densecable/api"
)

func TestIntervalRotate(t *testing.T) {
	var iv Interval
	steps := []struct{ counter, gauge, wantDelta float64 }{
		{5, 1, 5}, {5, 2, 0}, {9, 3, 4}, {2, 4, 0}, {3, 5, 1},
	}
	for i, s := range steps {
		out := iv.Rotate([]api.Metric{{Name: "c_total", Value: s.counter}, {Name: "g", Gauge: true, Value: s.gauge}})
		if out[0].Value != s.wantDelta || out[1].Value != s.gauge {
			t.Fatalf("step %d: %+v", i, out)
		}
	}
}
