package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/densecable/densecable/bench/internal/benchapp"
	"github.com/densecable/densecable/bench/internal/minicable"
)

// TestMain lets the test binary play the child process role, exactly as
// the real binary re-executes itself.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == childArg {
		if err := childMain(); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// startCable runs minicable + the benchmark app and returns its ws URL.
func startCable(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pub := benchapp.NewHTTPPublisher(benchapp.PublisherConfig{URL: "http://" + ln.Addr().String() + "/_broadcast"}, quiet)
	srv := minicable.New(benchapp.New(pub, quiet), 0, quiet)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = srv.ListenAndServe(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done; pub.Close() })
	return "ws://" + ln.Addr().String() + "/cable"
}

func testOptions(t *testing.T, url string, extra ...string) *common {
	t.Helper()
	o := &common{}
	fs := newFlagSet(o)
	args := append([]string{"--url", url, "--per-process", "10", "--src-ips", "2", "--timeout", "10s",
		"--goroutines", "none", "--server-pid", itoa(os.Getpid())}, extra...)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	if err := o.finish(); err != nil {
		t.Fatal(err)
	}
	return o
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestScenariosAcrossProcesses(t *testing.T) {
	url := startCable(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// JSON across three processes; Protobuf in one (children are slow to
	// start under the race detector).
	for _, enc := range []string{"json", "protobuf"} {
		perProcess := map[string]string{"json": "10", "protobuf": "1000"}[enc]
		procs := map[string]int{"json": 3, "protobuf": 1}[enc]
		o := testOptions(t, url, "--encoding", enc, "--per-process", perProcess)

		r, err := runConnect(ctx, o, 25, quiet)
		if err != nil {
			t.Fatal(err)
		}
		if r.OK != 25 || r.Failed != 0 || r.Procs != procs || r.P50 <= 0 || r.ServerRSSMB <= 0 {
			t.Fatalf("%s connect: %+v", enc, r)
		}

		rows, err := runBroadcast(ctx, o, []int{12, 25}, sampleOpts{size: 5, concurrent: 2, resultTimeout: 5 * time.Second}, 2*time.Second, rssSampling{}, quiet)
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range []int{12, 25} {
			r := rows[i]
			if r.Conns != want || r.OK != want || r.Sent != 5 || r.Expected != int64(5*want) ||
				r.Delivered != r.Expected || r.Lost != 0 || r.P99 <= 0 || r.ResultP95 <= 0 || r.Note != "" || r.FanoutPerS <= 0 {
				t.Fatalf("%s broadcast step %d: %+v", enc, want, r)
			}
		}

		steady, err := runBroadcast(ctx, o, []int{25}, sampleOpts{size: 4, interval: 5 * time.Millisecond, resultTimeout: 5 * time.Second}, 2*time.Second, rssSampling{}, quiet)
		if err != nil {
			t.Fatal(err)
		}
		if r := steady[0]; r.Sent != 4 || r.Delivered != 100 || r.Lost != 0 || !strings.Contains(r.Note, "steady 200 broadcasts/s") {
			t.Fatalf("%s steady broadcast: %+v", enc, r)
		}

		e, err := runEcho(ctx, o, 15, sampleOpts{size: 30, concurrent: 5, resultTimeout: 5 * time.Second}, quiet)
		if err != nil {
			t.Fatal(err)
		}
		if e.Sent != 30 || e.Lost != 0 || e.P50 <= 0 || e.Procs != min(procs, 2) {
			t.Fatalf("%s echo: %+v", enc, e)
		}
	}
}

func TestIdleReportsMemoryPerConnection(t *testing.T) {
	url := startCable(t)
	o := testOptions(t, url)
	r, err := runIdle(context.Background(), o, 20, 200*time.Millisecond, 50*time.Millisecond, heapCapture{}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if r.OK != 20 || r.Dropped != 0 || r.ServerRSSBaseMB <= 0 || r.ServerRSSMB <= 0 || r.ClientRSSMB <= 0 {
		t.Fatalf("%+v", r)
	}
}

func TestConnectFailuresAreReportedNotFatal(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	url := "ws://" + ln.Addr().String() + "/cable"
	ln.Close()
	o := testOptions(t, url, "--timeout", "2s")
	r, err := runConnect(context.Background(), o, 5, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if r.OK != 0 || r.Failed != 5 || r.Errors["connect: connection refused"] != 5 {
		t.Fatalf("%+v", r)
	}
}

func TestHeapCapture(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/heap", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("gc") != "1" {
			http.Error(w, "want gc=1", http.StatusBadRequest)
			return
		}
		_, _ = w.Write([]byte("profile-bytes"))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	file := t.TempDir() + "/heap.pb.gz"
	if err := (heapCapture{srv.URL, file}).save(context.Background()); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(file); string(b) != "profile-bytes" {
		t.Fatalf("saved %q", b)
	}
	if err := (heapCapture{srv.URL + "/nope", file}).save(context.Background()); err == nil {
		t.Fatal("404 accepted")
	}
	if err := (heapCapture{"", file}).save(context.Background()); err == nil {
		t.Fatal("missing URL accepted")
	}
}

func TestReportRoundTrip(t *testing.T) {
	rows := []*Row{
		{Scenario: "idle", Encoding: "json", Conns: 10, OK: 10, KBPerConn: 3.5, ServerRSSMB: 12},
		{Scenario: "broadcast", Encoding: "msgpack", Conns: 5, OK: 5, Sent: 2, Expected: 10, Delivered: 9, Lost: 1,
			Errors: map[string]int{"timeout upgrading": 1}, Note: "n"},
	}
	dir := t.TempDir()
	o := &common{outFile: dir + "/r.jsonl", jsonOut: true}
	var printed bytes.Buffer
	if err := emitRows(o, rows, &printed); err != nil || strings.Count(printed.String(), "\n") != 2 {
		t.Fatal(err)
	}
	f, err := os.Open(o.outFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	back, err := readRows(f)
	if err != nil || len(back) != 2 || back[1].Lost != 1 || back[0].KBPerConn != 3.5 {
		t.Fatalf("%+v %v", back, err)
	}
	var buf bytes.Buffer
	if err := printTable(&buf, back); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"9/10", "3.50", "timeout upgrading ×1"} {
		if !strings.Contains(out, want) {
			t.Fatalf("table lacks %q:\n%s", want, out)
		}
	}
	if _, err := readRows(strings.NewReader("{not json}\n")); err == nil {
		t.Fatal("bad line accepted")
	}
}

func TestParseHelpers(t *testing.T) {
	if s, err := parseSteps("5, 10", 1); err != nil || len(s) != 2 || s[1] != 10 {
		t.Fatalf("%v %v", s, err)
	}
	if s, _ := parseSteps("", 7); s[0] != 7 {
		t.Fatal("default step")
	}
	if _, err := parseSteps("5,x", 1); err == nil {
		t.Fatal("bad step accepted")
	}
	if connsPerProcess(20000, 0) != 20000-fdReserve || connsPerProcess(20000, 500) != 500 || connsPerProcess(10, 0) != 1 {
		t.Fatal("connsPerProcess")
	}
	o := &common{}
	fs := newFlagSet(o)
	_ = fs.Parse([]string{"--url", "ws://127.0.0.1:1/cable?x=1", "--src-ips", "0"})
	if err := o.finish(); err != nil || o.path != "/cable?x=1" || o.goroutines != "auto:http://127.0.0.1:1" {
		t.Fatalf("%+v %v", o, err)
	}
	if got := o.sourceIPs(40_000); len(got) != 3 || got[0] != "127.0.0.2" || got[2] != "127.0.0.4" {
		t.Fatalf("source ips %v", got)
	}
	for _, bad := range []string{"wss://127.0.0.1/cable", "ws://[::1]:80/x"} {
		o := &common{}
		fs := newFlagSet(o)
		_ = fs.Parse([]string{"--url", bad})
		if err := o.finish(); err == nil {
			t.Fatalf("%s accepted", bad)
		}
	}
}

// FuzzReadRows: rows read back from their own JSON unchanged, and the
// table has one line per row (plus the header and one note line per row
// with errors or a note), whatever the text fields hold.
func FuzzReadRows(f *testing.F) {
	f.Add([]byte(`{"scenario":"idle","encoding":"json","conns":1,"ok":1,"failed":0,"dropped":0,"processes":1,"lost":0}` + "\n\n"))
	f.Add([]byte(`{"errors":{"x":1},"p50_ms":1.5}`))
	f.Add([]byte(`{"scenario":"a\nb","label":"\t","note":"x\ny","errors":{"e\r":2}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, err := readRows(bytes.NewReader(b))
		if err != nil {
			return
		}
		var again bytes.Buffer
		for _, r := range rows {
			line, err := json.Marshal(r)
			if err != nil {
				return // a NaN cannot be written back; nothing to compare
			}
			again.Write(line)
			again.WriteByte('\n')
		}
		back, err := readRows(&again)
		for i := range rows {
			if len(rows[i].Errors) == 0 {
				rows[i].Errors = nil // {} is written as nothing (omitempty)
			}
		}
		if err != nil || !reflect.DeepEqual(back, rows) && len(rows) > 0 {
			t.Fatalf("%q: rows %+v read back as %+v, %v", b, rows, back, err)
		}
		var out bytes.Buffer
		if err := printTable(&out, rows); err != nil {
			t.Fatal(err)
		}
		want := 1 + len(rows)
		for _, r := range rows {
			if len(r.Errors) > 0 || r.Note != "" {
				want++
			}
		}
		if got := strings.Count(out.String(), "\n"); got != want {
			t.Fatalf("%q: %d lines, want %d:\n%s", b, got, want, out.String())
		}
	})
}
