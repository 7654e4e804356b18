package main

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// --server-pids samples several processes as one (here the in-process
// server listed twice: twice its RSS), and --rss-window reads idle RSS
// before the broadcasts.
func TestBroadcastRSSWindowOverServerPIDs(t *testing.T) {
	url := startCable(t)
	pid := strconv.Itoa(os.Getpid())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	o, err := parseTestOptions(url, "--server-pids", pid+","+pid, "--per-process", "1000", "--src-ips", "2", "--timeout", "10s")
	if err != nil {
		t.Fatal(err)
	}
	if o.goroutines != "none" {
		t.Errorf("goroutine source %q with --server-pids, want none", o.goroutines)
	}
	rows, err := runBroadcast(ctx, o, []int{20}, sampleOpts{size: 3, concurrent: 1, resultTimeout: 5 * time.Second}, 2*time.Second,
		rssSampling{delay: 10 * time.Millisecond, window: 300 * time.Millisecond}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	r := rows[0]
	own, err := testOptions(t, url).monitor()
	if err != nil {
		t.Fatal(err)
	}
	one, err := own.Read()
	if err != nil {
		t.Fatal(err)
	}
	if r.Delivered != 60 || r.ServerRSSBaseMB <= 0 ||
		!strings.Contains(r.Note, "idle RSS: median of") {
		t.Fatalf("row %+v (one process RSS %.1f MB)", r, mb(one.RSS))
	}
	if r.ServerRSSIdleMB < 1.5*mb(one.RSS) {
		t.Errorf("idle RSS %.1f MB over the pid listed twice, one reading %.1f MB: not summed", r.ServerRSSIdleMB, mb(one.RSS))
	}
	if _, err := parseTestOptions(url, "--server-pids", "1,x"); err == nil {
		t.Error("bad --server-pids accepted")
	}
}

// parseTestOptions is testOptions returning finish's error.
func parseTestOptions(url string, extra ...string) (*common, error) {
	o := &common{}
	fs := newFlagSet(o)
	if err := fs.Parse(append([]string{"--url", url}, extra...)); err != nil {
		return nil, err
	}
	return o, o.finish()
}
