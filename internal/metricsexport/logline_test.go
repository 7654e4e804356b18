package metricsexport

import (
	"bytes"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The log writer prints one info line per rotation: counters as deltas,
// gauges as values, sorted, only the filtered names when a filter is set.
func TestLogLine(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
	var c, g atomic.Int64
	c.Store(4)
	g.Store(9)
	e, err := New(Options{Log: true, LogFilter: Filter([]string{"g_num", " a_total", ""}), Interval: time.Hour}, testRegistry(&c, &g), log)
	if err != nil {
		t.Fatal(err)
	}
	e.Flush()
	c.Store(10)
	e.Flush()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := []string{`level=INFO msg="" a_total=4 g_num=9`, `level=INFO msg="" a_total=6 g_num=9`}
	if len(lines) != 2 || lines[0] != want[0] || lines[1] != want[1] {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}

	buf.Reset()
	e2, _ := New(Options{Log: true}, testRegistry(&c, &g), log)
	e2.Flush()
	out := buf.String()
	for _, s := range []string{"a_total=10", "zero_total=0", "g_num=9", "filler_0_num=0", "goroutines_num=", "mem_sys_bytes="} {
		if !strings.Contains(out, s) {
			t.Fatalf("unfiltered line lacks %s: %s", s, out)
		}
	}
	if strings.Index(out, "a_total") > strings.Index(out, "zero_total") {
		t.Fatalf("not sorted: %s", out)
	}
}

// Run announces itself as the reference does and stops when asked.
func TestRunAnnouncesAndStops(t *testing.T) {
	out := make(lines, 16)
	var c, g atomic.Int64
	e, _ := New(Options{Log: true, LogFilter: Filter([]string{"b", "a"}), Interval: 10 * time.Millisecond},
		testRegistry(&c, &g), slog.New(slog.NewTextHandler(out, nil)))
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { e.Run(stop); close(done) }()
	var got []string
	for rotations := 0; rotations < 2; {
		select {
		case l := <-out:
			got = append(got, l)
			if strings.Contains(l, `msg=""`) {
				rotations++
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no rotation: %q", got)
		}
	}
	close(stop)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop")
	}
	if !strings.Contains(got[0], `msg="log metrics" interval=0 fields=a,b`) {
		t.Fatalf("announcement: %q", got)
	}
}

// lines hands each log write to the test over a channel; a write the test
// is not waiting for is dropped rather than blocking Run.
type lines chan string

func (l lines) Write(p []byte) (int, error) {
	select {
	case l <- string(p):
	default:
	}
	return len(p), nil
}
