package procstat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// GoroutineSource reports the goroutine count of the server under test.
// Where it comes from depends on what the server exposes, hence pluggable.
type GoroutineSource interface {
	Goroutines(ctx context.Context) (int, error)
	// Name says where the number comes from, for the report.
	Name() string
}

// ParseSource builds a source from a spec:
//
//	none                  no goroutine count
//	threads               OS threads from /proc/<pid>/status (an upper bound
//	                      proxy when the server exposes nothing)
//	debug:<url>           GET <url> → {"goroutines":N}
//	metrics:<url>         GET <url> → Prometheus text; anycable_go_goroutines_num
//	                      or go_goroutines
//	auto:<base url>       debug:<base>/debug/stats, then metrics:<base>/metrics,
//	                      then threads; the first that answers is kept
func ParseSource(spec string, pid int, client *http.Client) (GoroutineSource, error) {
	kind, arg, _ := strings.Cut(spec, ":")
	switch kind {
	case "none", "":
		return nil, nil
	case "threads":
		return threadsSource{pid}, nil
	case "debug":
		return &debugSource{url: arg, client: client}, nil
	case "metrics":
		return &metricsSource{url: arg, client: client}, nil
	case "auto":
		base := strings.TrimSuffix(arg, "/")
		return &autoSource{candidates: []GoroutineSource{
			&debugSource{url: base + "/debug/stats", client: client},
			&metricsSource{url: base + "/metrics", client: client},
			threadsSource{pid},
		}}, nil
	}
	return nil, fmt.Errorf("procstat: unknown goroutine source %q", spec)
}

type threadsSource struct{ pid int }

func (s threadsSource) Name() string { return "threads" }
func (s threadsSource) Goroutines(context.Context) (int, error) {
	if s.pid <= 0 {
		return 0, errors.New("procstat: threads source needs a server pid")
	}
	smp, err := Read(s.pid)
	return smp.Threads, err
}

func get(ctx context.Context, client *http.Client, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
	return body, nil
}

type debugSource struct {
	url    string
	client *http.Client
}

func (s *debugSource) Name() string { return "debug" }
func (s *debugSource) Goroutines(ctx context.Context) (int, error) {
	body, err := get(ctx, s.client, s.url)
	if err != nil {
		return 0, err
	}
	return parseDebugStats(body)
}

func parseDebugStats(b []byte) (int, error) {
	var v struct {
		Goroutines *int `json:"goroutines"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return 0, fmt.Errorf("procstat: debug stats: %w", err)
	}
	if v.Goroutines == nil {
		return 0, errors.New("procstat: debug stats lack \"goroutines\"")
	}
	return *v.Goroutines, nil
}

type metricsSource struct {
	url    string
	client *http.Client
}

func (s *metricsSource) Name() string { return "metrics" }
func (s *metricsSource) Goroutines(ctx context.Context) (int, error) {
	body, err := get(ctx, s.client, s.url)
	if err != nil {
		return 0, err
	}
	return parsePromGoroutines(body)
}

// parsePromGoroutines finds the goroutine gauge in Prometheus text output.
// anycable-go names it anycable_go_goroutines_num (refreshed every
// stats_refresh_interval); the Go client library names it go_goroutines.
// maxGoroutines bounds a reported count (float64 holds integers exactly up
// to 2^53).
const maxGoroutines = 1 << 53

func parsePromGoroutines(b []byte) (int, error) {
	for _, name := range []string{"anycable_go_goroutines_num", "go_goroutines"} {
		rest := b
		for len(rest) > 0 {
			var line []byte
			line, rest, _ = bytes.Cut(rest, []byte("\n"))
			if !bytes.HasPrefix(line, []byte(name)) {
				continue
			}
			tail := line[len(name):]
			if len(tail) > 0 && tail[0] == '{' { // skip labels
				end := bytes.IndexByte(tail, '}')
				if end < 0 {
					continue
				}
				tail = tail[end+1:]
			}
			if len(tail) == 0 || (tail[0] != ' ' && tail[0] != '\t') {
				continue // a longer metric name with this prefix
			}
			fields := bytes.Fields(tail)
			if len(fields) == 0 {
				continue
			}
			f, err := strconv.ParseFloat(string(fields[0]), 64)
			// A goroutine count is a whole number; NaN, Inf, negative or
			// fractional values would convert to nonsense.
			if err == nil && !(f >= 0 && f <= maxGoroutines && f == math.Trunc(f)) {
				err = fmt.Errorf("%q is not a goroutine count", fields[0])
			}
			if err != nil {
				return 0, fmt.Errorf("procstat: metric %s: %w", name, err)
			}
			return int(f), nil
		}
	}
	return 0, errors.New("procstat: no goroutine metric in the output")
}

type autoSource struct {
	candidates []GoroutineSource
	chosen     GoroutineSource
}

func (s *autoSource) Name() string {
	if s.chosen == nil {
		return "auto"
	}
	return s.chosen.Name()
}

func (s *autoSource) Goroutines(ctx context.Context) (int, error) {
	if s.chosen != nil {
		return s.chosen.Goroutines(ctx)
	}
	var errs []error
	for _, c := range s.candidates {
		n, err := c.Goroutines(ctx)
		if err == nil {
			s.chosen = c
			return n, nil
		}
		errs = append(errs, err)
	}
	return 0, errors.Join(errs...)
}
