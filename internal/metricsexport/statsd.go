package metricsexport

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/densecable/densecable/api"
)

// Statsd renders metrics as StatsD lines the way anycable-go's client does:
// "<prefix><name>:<value>|c" for a counter's delta (omitted when 0),
// "<prefix><name>:<value>|g" for a gauge, with --metrics_tags in the
// chosen style:
//
//	datadog   name:1|c|#k:v,k2:v2
//	influxdb  name,k=v,k2=v2:1|c
//	graphite  name;k=v;k2=v2:1|c
type Statsd struct {
	prefix     string
	nameTags   string // after the name (influxdb, graphite)
	suffixTags string // after the type (datadog)
}

// NewStatsd prepares the rendering; format is datadog, influxdb or graphite.
func NewStatsd(prefix, format string, tags map[string]string) (*Statsd, error) {
	var first, sep, kv string
	suffix := false
	switch format {
	case "datadog":
		first, sep, kv, suffix = "|#", ",", ":", true
	case "influxdb":
		first, sep, kv = ",", ",", "="
	case "graphite":
		first, sep, kv = ";", ";", "="
	default:
		return nil, fmt.Errorf("unknown StatsD tags format: %s", format)
	}
	s := &Statsd{prefix: prefix}
	if len(tags) == 0 {
		return s, nil
	}
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	rendered := first
	for i, k := range keys {
		if i > 0 {
			rendered += sep
		}
		rendered += k + kv + tags[k]
	}
	if suffix {
		s.suffixTags = rendered
	} else {
		s.nameTags = rendered
	}
	return s, nil
}

// AppendLine appends m's line, newline included, and reports whether there
// was one (a counter that did not move is not sent, as the reference's
// client skips zero increments).
func (s *Statsd) AppendLine(b []byte, m api.Metric) ([]byte, bool) {
	typ := "|g"
	if !m.Gauge {
		if m.Value == 0 {
			return b, false
		}
		typ = "|c"
	}
	b = append(b, s.prefix...)
	b = append(b, m.Name...)
	b = append(b, s.nameTags...)
	b = append(b, ':')
	b = strconv.AppendInt(b, int64(m.Value), 10)
	b = append(b, typ...)
	b = append(b, s.suffixTags...)
	return append(b, '\n'), true
}

// Pack renders snap into datagrams of at most max bytes each, several
// newline-terminated lines per datagram. A single line longer than max
// cannot be sent whole and is dropped (counted in dropped).
func (s *Statsd) Pack(snap []api.Metric, max int) (datagrams [][]byte, dropped int) {
	var cur, line []byte
	for _, m := range snap {
		var ok bool
		line, ok = s.AppendLine(line[:0], m)
		if !ok {
			continue
		}
		if len(line) > max {
			dropped++
			continue
		}
		if len(cur)+len(line) > max {
			datagrams = append(datagrams, cur)
			cur = nil
		}
		cur = append(cur, line...)
	}
	if len(cur) > 0 {
		datagrams = append(datagrams, cur)
	}
	return datagrams, dropped
}
