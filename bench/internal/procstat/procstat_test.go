package procstat

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"testing"
	"time"
)

const sampleStatus = "Name:\tdensecable\nState:\tS (sleeping)\nVmHWM:\t  20480 kB\nVmRSS:\t   10240 kB\nThreads:\t7\n"

func TestParseStatus(t *testing.T) {
	var s Sample
	if err := parseStatus([]byte(sampleStatus), &s); err != nil {
		t.Fatal(err)
	}
	if s.RSS != 10240<<10 || s.HWM != 20480<<10 || s.Threads != 7 {
		t.Fatalf("%+v", s)
	}
	if err := parseStatus([]byte("Name:\tx\nState:\tZ\n"), &s); err == nil {
		t.Fatal("zombie status accepted")
	}
	if err := parseStatus([]byte("VmRSS:\tlots kB\nThreads:\t1\n"), &s); err == nil {
		t.Fatal("bad number accepted")
	}
}

func TestParseStatHandlesOddCommandNames(t *testing.T) {
	// comm "(a) b)" with spaces and parens; utime=250 stime=50 ticks.
	line := "1234 ((a) b)) S 1 1 1 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 7 0 100 0 0\n"
	cpu, err := parseStat([]byte(line))
	if err != nil || cpu != 3*time.Second {
		t.Fatalf("cpu %v err %v", cpu, err)
	}
	if _, err := parseStat([]byte("1234 (x) S 1 2")); err == nil {
		t.Fatal("short stat accepted")
	}
}

func TestReadSelf(t *testing.T) {
	s, err := Read(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if s.RSS == 0 || s.Threads < 1 || s.HWM < s.RSS {
		t.Fatalf("implausible self sample %+v", s)
	}
	if _, err := Read(-1); err == nil {
		t.Fatal("bad pid accepted")
	}
}

func TestParsePromGoroutines(t *testing.T) {
	text := "# HELP anycable_go_goroutines_num_total x\nanycable_go_goroutines_num_total 99\n" +
		"anycable_go_goroutines_num{node=\"a\"} 42\ngo_goroutines 7\n"
	if n, err := parsePromGoroutines([]byte(text)); err != nil || n != 42 {
		t.Fatalf("n=%d err=%v", n, err)
	}
	if n, err := parsePromGoroutines([]byte("go_goroutines 1.5e+01\n")); err != nil || n != 15 {
		t.Fatalf("n=%d err=%v", n, err)
	}
	if _, err := parsePromGoroutines([]byte("other 1\n")); err == nil {
		t.Fatal("missing metric accepted")
	}
}

func TestSourcesOverHTTP(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("anycable_go_goroutines_num 12\n"))
	})
	srv := httptest.NewServer(mux) // no /debug/stats: auto must fall back to metrics
	defer srv.Close()
	ctx := context.Background()

	auto, err := ParseSource("auto:"+srv.URL, os.Getpid(), srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	if n, err := auto.Goroutines(ctx); err != nil || n != 12 || auto.Name() != "metrics" {
		t.Fatalf("auto: n=%d err=%v name=%s", n, err, auto.Name())
	}

	mux.HandleFunc("/debug/stats", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"goroutines":5,"other":1}`))
	})
	dbg, _ := ParseSource("debug:"+srv.URL+"/debug/stats", 0, srv.Client())
	if n, err := dbg.Goroutines(ctx); err != nil || n != 5 {
		t.Fatalf("debug: n=%d err=%v", n, err)
	}
	if _, err := parseDebugStats([]byte(`{"x":1}`)); err == nil {
		t.Fatal("debug stats without goroutines accepted")
	}

	thr, _ := ParseSource("threads", os.Getpid(), nil)
	if n, err := thr.Goroutines(ctx); err != nil || n < 1 {
		t.Fatalf("threads: n=%d err=%v", n, err)
	}
	if none, err := ParseSource("none", 0, nil); none != nil || err != nil {
		t.Fatal("none must give no source")
	}
	if _, err := ParseSource("bogus", 0, nil); err == nil {
		t.Fatal("unknown source accepted")
	}
}

func TestMonitorPeakSeesGrowth(t *testing.T) {
	m := NewMonitor(os.Getpid(), nil, 5*time.Millisecond)
	stop := m.WatchPeak(context.Background())
	before, _ := Read(os.Getpid())
	buf := make([]byte, 64<<20)
	for i := range buf { // touch every page so it becomes resident
		buf[i] = 1
	}
	peak := stop()
	runtime.KeepAlive(buf)
	if peak < before.RSS+32<<20 {
		t.Fatalf("peak %d did not see a 64 MiB allocation over %d", peak, before.RSS)
	}
	if m.Goroutines(context.Background()) != -1 {
		t.Fatal("no source must report -1")
	}
}

func FuzzParseStatus(f *testing.F) {
	f.Add([]byte(sampleStatus))
	f.Fuzz(func(t *testing.T, b []byte) {
		var s Sample
		_ = parseStatus(b, &s)
	})
}

func FuzzParseStat(f *testing.F) {
	f.Add([]byte("1 (x) S 1 1 1 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 0 0 0"))
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = parseStat(b) })
}

func FuzzParseProm(f *testing.F) {
	f.Add([]byte("anycable_go_goroutines_num{a=\"b\"} 3\n"))
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = parsePromGoroutines(b) })
}
