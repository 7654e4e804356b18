package metricsexport

import "github.com/densecable/densecable/api"

// Interval turns cumulative counters into per-rotation deltas. It is used
// by the one exporter goroutine only, so it needs no lock.
type Interval struct {
	prev map[string]float64
}

// Rotate returns snap with every counter replaced by its growth since the
// previous Rotate (its whole value the first time, as the reference's
// first interval does); gauges are passed through. A counter that went
// down (a component restarted its count) reports 0, not a negative delta.
func (iv *Interval) Rotate(snap []api.Metric) []api.Metric {
	if iv.prev == nil {
		iv.prev = make(map[string]float64, len(snap))
	}
	out := make([]api.Metric, len(snap))
	for i, m := range snap {
		out[i] = m
		if m.Gauge {
			continue
		}
		d := m.Value - iv.prev[m.Name]
		iv.prev[m.Name] = m.Value
		if d < 0 {
			d = 0
		}
		out[i].Value = d
	}
	return out
}
