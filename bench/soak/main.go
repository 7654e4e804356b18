// Command densecable-soak drives a long soak against a running server (see
// bench/soak.sh, `make soak`): a steady group of subscribers that must
// receive every broadcast, connection churn, periodic broadcasts, and bad
// clients (garbage bytes, partial frames, command floods, clients that never
// read). Every --every it prints the server's RSS and goroutines; at the end
// it prints a summary and exits 1 if the steady clients lost anything or the
// server's RSS or goroutines grew beyond a bound after the warm-up.
//
//	densecable-soak --url ws://127.0.0.1:8080/cable \
//	    --broadcast-url http://127.0.0.1:8090/_broadcast --server-pid 1234 --duration 30m
//	densecable-soak freeport   # prints a free loopback port (for scripts)
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/densecable/densecable/bench/internal/cableproto"
	"github.com/densecable/densecable/bench/internal/procstat"
	"github.com/densecable/densecable/bench/internal/swarm"
	"github.com/densecable/densecable/bench/internal/wsframe"
)

type options struct {
	url, broadcastURL, metricsURL string
	serverPID                     int
	duration, every, warmup       time.Duration
	steady                        int
	churnGroups, churnSize        int
	churnEvery, broadcastEvery    time.Duration
	badEvery                      time.Duration
	badHold                       time.Duration
	rssSlackMB                    int
	rssFactor                     float64
	goroutineSlack                int
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "freeport" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(ln.Addr().(*net.TCPAddr).Port)
		ln.Close()
		return
	}
	o := &options{}
	fs := flag.NewFlagSet("densecable-soak", flag.ExitOnError)
	fs.StringVar(&o.url, "url", "ws://127.0.0.1:8080/cable", "WebSocket URL (IPv4 loopback)")
	fs.StringVar(&o.broadcastURL, "broadcast-url", "http://127.0.0.1:8090/_broadcast", "HTTP broadcast endpoint")
	fs.StringVar(&o.metricsURL, "metrics-url", "", "Prometheus endpoint for goroutines (default: <url host>/metrics)")
	fs.IntVar(&o.serverPID, "server-pid", 0, "server process id (for RSS)")
	fs.DurationVar(&o.duration, "duration", 30*time.Minute, "how long to soak")
	fs.DurationVar(&o.every, "every", 10*time.Second, "report interval")
	fs.DurationVar(&o.warmup, "warmup", 0, "warm-up before the growth baseline (default: a quarter of --duration, 20 s to 5 min)")
	fs.IntVar(&o.steady, "steady", 1000, "subscribers held for the whole soak (must receive every broadcast)")
	fs.IntVar(&o.churnGroups, "churn-groups", 10, "churning groups alive at once")
	fs.IntVar(&o.churnSize, "churn-size", 50, "connections per churning group")
	fs.DurationVar(&o.churnEvery, "churn-every", time.Second, "replace the oldest churning group this often")
	fs.DurationVar(&o.broadcastEvery, "broadcast-every", 100*time.Millisecond, "broadcast to every subscriber this often")
	fs.DurationVar(&o.badEvery, "bad-every", 500*time.Millisecond, "start a bad client this often (kinds in turn)")
	fs.DurationVar(&o.badHold, "bad-hold", 90*time.Second, "longest a bad client waits for the server to close it")
	fs.IntVar(&o.rssSlackMB, "rss-slack-mb", 16, "allowed RSS growth after warm-up: factor × baseline + this")
	fs.Float64Var(&o.rssFactor, "rss-factor", 1.2, "allowed RSS growth after warm-up: this × baseline + slack")
	fs.IntVar(&o.goroutineSlack, "goroutine-slack", 100, "allowed goroutine growth after warm-up")
	_ = fs.Parse(os.Args[1:])
	if o.warmup <= 0 {
		o.warmup = min(max(o.duration/4, 20*time.Second), 5*time.Minute)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "soak FAILED:", err)
		os.Exit(1)
	}
	fmt.Println("soak PASSED")
}

const benchIdentifier = `{"channel":"BenchmarkChannel"}`
const heavyIdentifier = `{"channel":"BenchmarkChannel","id":"heavy"}` // stream "allheavy"

type soak struct {
	o      *options
	server netip.AddrPort
	host   string
	http   *http.Client
	log    *slog.Logger

	broadcasts, broadcastErrs atomic.Int64
	churned                   swarm.Stats // closed churn groups, merged
	churnMu                   sync.Mutex
	bad                       badStats
}

func run(ctx context.Context, o *options) error {
	u, err := url.Parse(o.url)
	if err != nil {
		return err
	}
	server, err := netip.ParseAddrPort(u.Host)
	if err != nil {
		return fmt.Errorf("--url host must be ip:port: %w", err)
	}
	if o.metricsURL == "" {
		o.metricsURL = "http://" + u.Host + "/metrics"
	}
	s := &soak{o: o, server: server, host: u.Host, http: &http.Client{Timeout: 10 * time.Second},
		log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	gsrc, _ := procstat.ParseSource("metrics:"+o.metricsURL, o.serverPID, s.http)
	mon := procstat.NewMonitor(o.serverPID, gsrc, time.Second)

	steady, err := s.newSwarm(benchIdentifier, 0)
	if err != nil {
		return err
	}
	defer steady.Close()
	if err := steady.Open(o.steady, 0, 200); err != nil {
		return err
	}
	st, err := waitSettled(ctx, steady, 2*time.Minute)
	if err != nil {
		return fmt.Errorf("steady clients: %w", err)
	}
	if st.Subscribed != o.steady {
		return fmt.Errorf("only %d of %d steady clients subscribed: %v", st.Subscribed, o.steady, st.Errors)
	}
	_ = steady.ResetMeasurements()

	runCtx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); s.broadcastLoop(runCtx) }()
	go func() { defer wg.Done(); s.churnLoop(runCtx) }()
	go func() { defer wg.Done(); s.badLoop(runCtx) }()

	type sample struct {
		at         time.Duration
		rss        uint64
		goroutines int
	}
	var samples []sample
	start := time.Now()
	fmt.Printf("%8s %8s %10s %8s %9s %10s %10s %8s %s\n", "t", "rss_mb", "goroutines", "clients", "steady", "delivered", "broadcasts", "churned", "bad clients")
	tick := time.NewTicker(o.every)
	defer tick.Stop()
	report := func() {
		ps, _ := mon.Read()
		g := mon.Goroutines(ctx)
		clients := s.metric("clients_num")
		sst, _ := steady.Stats()
		s.churnMu.Lock()
		churned := s.churned.Subscribed
		s.churnMu.Unlock()
		at := time.Since(start)
		samples = append(samples, sample{at, ps.RSS, g})
		fmt.Printf("%8s %8d %10d %8.0f %9d %10d %10d %8d %s\n", at.Round(time.Second), ps.RSS>>20, g, clients,
			sst.Alive, sst.Delivered, s.broadcasts.Load(), churned, s.bad.String())
	}
	report()
loop:
	for {
		select {
		case <-runCtx.Done():
			break loop
		case <-tick.C:
			report()
		}
	}
	wg.Wait()
	report()

	// Let the last broadcasts arrive, then count what the steady clients
	// missed.
	want := s.broadcasts.Load() * int64(o.steady)
	deadline := time.Now().Add(30 * time.Second)
	var final swarm.Stats
	for {
		final, _ = steady.Stats()
		if final.Delivered >= want || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Growth: the median of the first three samples after the warm-up
	// against the median of the last three.
	var after []sample
	for _, x := range samples {
		if x.at >= o.warmup {
			after = append(after, x)
		}
	}
	var problems []string
	fmt.Println("---- summary")
	fmt.Printf("duration %v (warm-up %v), %d samples\n", o.duration, o.warmup, len(samples))
	fmt.Printf("steady: %d clients, %d alive, %d dropped, delivered %d of %d (%d broadcasts, %d broadcast errors)\n",
		o.steady, final.Alive, final.Dropped, final.Delivered, want, s.broadcasts.Load(), s.broadcastErrs.Load())
	s.churnMu.Lock()
	fmt.Printf("churn: %d connections opened, %d subscribed, %d failed %v\n", s.churned.Started, s.churned.Subscribed, s.churned.Failed, s.churned.Errors)
	s.churnMu.Unlock()
	fmt.Printf("bad clients: %s\n", s.bad.String())
	if final.Delivered != want || final.Dropped != 0 || final.Alive != o.steady {
		problems = append(problems, fmt.Sprintf("steady clients: delivered %d of %d, %d dropped %v", final.Delivered, want, final.Dropped, final.Errors))
	}
	// The server must end these itself (400 at once, ws_frame_timeout,
	// too_slow or the write timeout); a flood client that the server keeps
	// serving is not a fault.
	for _, kind := range []string{"garbage", "partial", "unread"} {
		if n := s.bad.held(kind); n > 0 {
			problems = append(problems, fmt.Sprintf("%d %s clients still open after %v", n, kind, s.o.badHold))
		}
	}
	if n := s.broadcastErrs.Load(); n > 0 {
		problems = append(problems, fmt.Sprintf("%d broadcasts refused", n))
	}
	if len(after) < 6 {
		problems = append(problems, fmt.Sprintf("only %d samples after the warm-up: lengthen --duration or shorten --every", len(after)))
	} else {
		base := median(after[:3], func(x sample) float64 { return float64(x.rss) })
		end := median(after[len(after)-3:], func(x sample) float64 { return float64(x.rss) })
		bound := base*o.rssFactor + float64(o.rssSlackMB<<20)
		fmt.Printf("RSS: %.0f MiB after warm-up, %.0f MiB at the end (bound %.0f MiB), min %d max %d MiB\n",
			base/(1<<20), end/(1<<20), bound/(1<<20), minOf(samples, func(x sample) uint64 { return x.rss })>>20, maxOf(samples, func(x sample) uint64 { return x.rss })>>20)
		if end > bound {
			problems = append(problems, fmt.Sprintf("RSS grew from %.0f to %.0f MiB (bound %.0f)", base/(1<<20), end/(1<<20), bound/(1<<20)))
		}
		gb := median(after[:3], func(x sample) float64 { return float64(x.goroutines) })
		ge := median(after[len(after)-3:], func(x sample) float64 { return float64(x.goroutines) })
		fmt.Printf("goroutines: %.0f after warm-up, %.0f at the end (bound %.0f), min %d max %d\n",
			gb, ge, gb+float64(o.goroutineSlack), minOf(samples, func(x sample) int { return x.goroutines }), maxOf(samples, func(x sample) int { return x.goroutines }))
		if gb < 0 || ge < 0 {
			problems = append(problems, "goroutine count unavailable (is --metrics_http=/metrics set?)")
		} else if ge > gb+float64(o.goroutineSlack) {
			problems = append(problems, fmt.Sprintf("goroutines grew from %.0f to %.0f (bound +%d)", gb, ge, o.goroutineSlack))
		}
	}
	if o.serverPID > 0 {
		if err := syscall.Kill(o.serverPID, 0); err != nil {
			problems = append(problems, "server process gone: "+err.Error())
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

func median[T any](xs []T, f func(T) float64) float64 {
	v := make([]float64, len(xs))
	for i, x := range xs {
		v[i] = f(x)
	}
	slices.Sort(v)
	return v[len(v)/2]
}

func minOf[T any, N int | uint64](xs []T, f func(T) N) N {
	var m N
	for i, x := range xs {
		if v := f(x); i == 0 || v < m {
			m = v
		}
	}
	return m
}

func maxOf[T any, N int | uint64](xs []T, f func(T) N) N {
	var m N
	for _, x := range xs {
		m = max(m, f(x))
	}
	return m
}

func (s *soak) newSwarm(identifier string, base int) (*swarm.Swarm, error) {
	return swarm.New(swarm.Config{
		Server:     s.server,
		Request:    wsframe.Request{Host: s.host, Path: "/cable", Origin: "http://localhost"},
		Codec:      cableproto.JSON{},
		Identifier: identifier,
		Base:       base,
		Timeout:    30 * time.Second,
		Logger:     s.log,
	})
}

func waitSettled(ctx context.Context, sw *swarm.Swarm, d time.Duration) (swarm.Stats, error) {
	deadline := time.Now().Add(d)
	for {
		st, err := sw.Stats()
		if err != nil || st.Settled() {
			return st, err
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return st, fmt.Errorf("not settled after %v: %d of %d subscribed", d, st.Subscribed, st.Target)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *soak) metric(name string) float64 {
	resp, err := s.http.Get(s.o.metricsURL)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == "anycable_go_"+name {
			var v float64
			fmt.Sscan(f[1], &v)
			return v
		}
	}
	return -1
}

func (s *soak) publish(stream string, data []byte) error {
	body, _ := json.Marshal(map[string]string{"stream": stream, "data": string(data)})
	resp, err := s.http.Post(s.o.broadcastURL, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return nil
}

// broadcastLoop broadcasts to every subscriber, and now and then a large
// message to the stream only never-reading clients follow (so that they
// overflow their queue).
func (s *soak) broadcastLoop(ctx context.Context) {
	tick := time.NewTicker(s.o.broadcastEvery)
	defer tick.Stop()
	heavy := []byte(`{"pad":"` + strings.Repeat("h", 256<<10) + `"}`)
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if err := s.publish("all", cableproto.AppendBenchData(nil, "broadcast", time.Now().UnixNano(), "soak")); err != nil {
			s.broadcastErrs.Add(1)
			s.log.Warn("broadcast failed", "err", err)
		} else {
			s.broadcasts.Add(1)
		}
		if i%10 == 0 {
			_ = s.publish("allheavy", heavy)
		}
	}
}

// churnLoop keeps churnGroups groups of churnSize connections, replacing
// the oldest every churnEvery.
func (s *soak) churnLoop(ctx context.Context) {
	var ring []*swarm.Swarm
	retire := func(sw *swarm.Swarm) {
		st, err := sw.Stats()
		_ = sw.Close()
		if err == nil {
			s.churnMu.Lock()
			s.churned.Merge(&st)
			s.churnMu.Unlock()
		}
	}
	defer func() {
		for _, sw := range ring {
			retire(sw)
		}
	}()
	tick := time.NewTicker(s.o.churnEvery)
	defer tick.Stop()
	base := s.o.steady
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if len(ring) >= s.o.churnGroups {
			retire(ring[0])
			ring = ring[1:]
		}
		sw, err := s.newSwarm(benchIdentifier, base)
		if err != nil {
			s.log.Warn("churn swarm", "err", err)
			continue
		}
		base += s.o.churnSize
		_ = sw.Open(s.o.churnSize, 0, 50)
		ring = append(ring, sw)
	}
}
