package procstat

import (
	"context"
	"math"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
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

// refStatus reads the same fields with strings and math/big; ok is false
// for what must be rejected (a bad or out-of-range value, a missing field).
func refStatus(text string) (s Sample, ok bool) {
	var haveRSS, haveThreads bool
	digits := func(v string) (*big.Int, bool) {
		if v == "" || strings.Trim(v, "0123456789") != "" {
			return nil, false
		}
		n, _ := new(big.Int).SetString(v, 10)
		return n, true
	}
	fitsU64 := new(big.Int).SetUint64(math.MaxUint64)
	for _, line := range strings.Split(text, "\n") {
		name, val, found := strings.Cut(line, ":")
		if !found {
			continue
		}
		val = strings.TrimSpace(val)
		switch name {
		case "VmRSS", "VmHWM":
			n, isNum := digits(strings.TrimSuffix(val, " kB"))
			if !isNum {
				return s, false
			}
			n.Lsh(n, 10)
			if n.Cmp(fitsU64) > 0 {
				return s, false
			}
			if name == "VmRSS" {
				s.RSS, haveRSS = n.Uint64(), true
			} else {
				s.HWM = n.Uint64()
			}
		case "Threads":
			n, isNum := digits(val)
			if !isNum || !n.IsInt64() || n.Int64() > math.MaxInt {
				return s, false
			}
			s.Threads, haveThreads = int(n.Int64()), true
		}
	}
	return s, haveRSS && haveThreads
}

// parseStatus agrees with a reference reading; no value wraps around.
func FuzzParseStatus(f *testing.F) {
	f.Add([]byte(sampleStatus))
	f.Add([]byte("VmRSS:\t18014398509481984 kB\nThreads:\t1\n"))
	f.Add([]byte("VmRSS:\t1 kB\nVmRSS:\t2 kB\n"))
	f.Add([]byte("VmRSS:\t1 kB\nThreads:\t-3\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var s Sample
		err := parseStatus(b, &s)
		want, ok := refStatus(string(b))
		if (err == nil) != ok {
			t.Fatalf("%q: error %v, reference ok %v", b, err, ok)
		}
		if ok && s != want {
			t.Fatalf("%q: %+v, reference %+v", b, s, want)
		}
	})
}

// parseStat gives (utime+stime) ticks exactly, or an error when that does
// not fit a time.Duration.
func FuzzParseStat(f *testing.F) {
	f.Add([]byte("1 (x) S 1 1 1 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 0 0 0"))
	f.Add([]byte("1 (a) b) S 1 1 1 0 -1 0 0 0 0 0 922337203685477580 1 0"))
	f.Add([]byte("1 (x) S 1 1 1 0 -1 0 0 0 0 0 18446744073709551615 1 0"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := parseStat(b)
		text := string(b)
		i := strings.LastIndex(text, ")")
		if i < 0 {
			if err == nil {
				t.Fatalf("%q: accepted without a command name", b)
			}
			return
		}
		fields := strings.Fields(text[i+1:])
		if len(fields) < 13 {
			if err == nil {
				t.Fatalf("%q: accepted with %d fields", b, len(fields))
			}
			return
		}
		u, uok := new(big.Int).SetString(fields[11], 10)
		st, sok := new(big.Int).SetString(fields[12], 10)
		valid := uok && sok && u.Sign() >= 0 && st.Sign() >= 0 &&
			!strings.ContainsAny(fields[11]+fields[12], "+-_")
		if !valid {
			if err == nil {
				t.Fatalf("%q: accepted utime %q stime %q", b, fields[11], fields[12])
			}
			return
		}
		want := new(big.Int).Add(u, st)
		want.Mul(want, big.NewInt(int64(time.Second/clockTicks)))
		if !want.IsInt64() {
			if err == nil {
				t.Fatalf("%q: %v accepted, true value %v does not fit", b, d, want)
			}
			return
		}
		if err != nil || int64(d) != want.Int64() {
			t.Fatalf("%q: %v, %v; want %v", b, d, err, want)
		}
	})
}

// An accepted goroutine count is a whole, non-negative number.
func FuzzParseProm(f *testing.F) {
	f.Add([]byte("anycable_go_goroutines_num{a=\"b\"} 3\n"))
	f.Add([]byte("go_goroutines NaN\n"))
	f.Add([]byte("go_goroutines -1\n"))
	f.Add([]byte("go_goroutines 1e300\n"))
	f.Add([]byte("go_goroutines 2.5\n"))
	f.Add([]byte("# HELP go_goroutines x\ngo_goroutines_total 9\ngo_goroutines\t12 1700000000\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := parsePromGoroutines(b)
		if err != nil {
			return
		}
		if n < 0 || n > maxGoroutines {
			t.Fatalf("%q: %d goroutines", b, n)
		}
		// The number is the first field after the metric name (and
		// labels) on a line of one of the two metrics.
		found := false
		for _, line := range strings.Split(string(b), "\n") {
			for _, name := range []string{"anycable_go_goroutines_num", "go_goroutines"} {
				rest, isMetric := strings.CutPrefix(line, name)
				if !isMetric {
					continue
				}
				if strings.HasPrefix(rest, "{") {
					if j := strings.Index(rest, "}"); j >= 0 {
						rest = rest[j+1:]
					}
				}
				if fs := strings.Fields(rest); len(fs) > 0 {
					if v, e := strconv.ParseFloat(fs[0], 64); e == nil && v == float64(n) {
						found = true
					}
				}
			}
		}
		if !found {
			t.Fatalf("%q: %d is on no goroutine metric line", b, n)
		}
	})
}

// A monitor over several processes reports their sum: this process read
// twice is twice its own RSS (RSS moves little between the two reads).
func TestMonitorSumsProcesses(t *testing.T) {
	pid := os.Getpid()
	one, err := NewMonitor(pid, nil, time.Second).Read()
	if err != nil {
		t.Fatal(err)
	}
	two, err := NewMonitorSum([]int{pid, pid}, nil, time.Second).Read()
	if err != nil {
		t.Fatal(err)
	}
	if two.RSS < one.RSS*3/2 || two.RSS > one.RSS*5/2 || two.Threads < 2*one.Threads-4 {
		t.Fatalf("sum of two reads of one process: RSS %d (one: %d), threads %d (one: %d)", two.RSS, one.RSS, two.Threads, one.Threads)
	}
	if _, err := NewMonitorSum([]int{pid, 1 << 30}, nil, time.Second).Read(); err == nil {
		t.Fatal("a missing process was summed as zero")
	}
	if NewMonitorSum(nil, nil, time.Second).Enabled() || NewMonitor(0, nil, time.Second).Enabled() {
		t.Fatal("a monitor with no process is enabled")
	}
}
