package metricsexport

import (
	"log/slog"
	"sort"
	"strings"

	"github.com/densecable/densecable/api"
)

// LogFields are the attributes of anycable-go's metrics log line: every
// metric (or only those in filter, when it is not nil) as name=value,
// sorted by name, values as integers.
func LogFields(snap []api.Metric, filter map[string]struct{}) []any {
	sorted := append([]api.Metric(nil), snap...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	out := make([]any, 0, 2*len(sorted))
	for _, m := range sorted {
		if filter != nil {
			if _, ok := filter[m.Name]; !ok {
				continue
			}
		}
		out = append(out, m.Name, int64(m.Value))
	}
	return out
}

// Filter is the set of --metrics_log_filter names; nil (log everything)
// when the list is empty.
func Filter(names []string) map[string]struct{} {
	var f map[string]struct{}
	for _, n := range names {
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		if f == nil {
			f = map[string]struct{}{}
		}
		f[n] = struct{}{}
	}
	return f
}

// announceLog is the reference's start line of the log writer.
func announceLog(log *slog.Logger, intervalSec int, filter map[string]struct{}) {
	if filter == nil {
		log.Info("log metrics", "interval", intervalSec)
		return
	}
	names := make([]string, 0, len(filter))
	for n := range filter {
		names = append(names, n)
	}
	sort.Strings(names)
	log.Info("log metrics", "interval", intervalSec, "fields", strings.Join(names, ","))
}
