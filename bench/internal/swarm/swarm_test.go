package swarm

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/densecable/densecable/bench/internal/benchapp"
	"github.com/densecable/densecable/bench/internal/cableproto"
	"github.com/densecable/densecable/bench/internal/minicable"
	"github.com/densecable/densecable/bench/internal/wsframe"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// startServer runs minicable + the benchmark app on a loopback port.
func startServer(t *testing.T, ping time.Duration) (netip.AddrPort, *minicable.Server) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.MustParseAddrPort(ln.Addr().String())
	pub := benchapp.NewHTTPPublisher(benchapp.PublisherConfig{URL: "http://" + addr.String() + "/_broadcast"}, quiet)
	srv := minicable.New(benchapp.New(pub, quiet), ping, quiet)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = srv.ListenAndServe(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done; pub.Close() })
	return addr, srv
}

func newSwarm(t *testing.T, addr netip.AddrPort, encoding string, mutate func(*Config)) *Swarm {
	t.Helper()
	codec, err := cableproto.ByName(encoding)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Server:     addr,
		Request:    wsframe.Request{Host: addr.String(), Path: "/cable", Origin: "http://localhost"},
		Codec:      codec,
		Identifier: `{"channel":"BenchmarkChannel"}`,
		Timeout:    10 * time.Second,
		Logger:     quiet,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// waitStats polls until cond holds or fails the test after 10 s.
func waitStats(t *testing.T, s *Swarm, what string, cond func(*Stats) bool) Stats {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := s.Stats()
		if err != nil {
			t.Fatal(err)
		}
		if cond(&st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s: %+v", what, st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestOpenBroadcastEchoInEveryEncoding(t *testing.T) {
	addr, _ := startServer(t, 0)
	for _, enc := range cableproto.Names() {
		t.Run(enc, func(t *testing.T) {
			results := make(chan Result, 10)
			const n = 40
			s := newSwarm(t, addr, enc, func(c *Config) {
				c.OnResult = func(r Result) { results <- r }
				c.Base = 1000
			})
			if err := s.Open(n, 0, 10); err != nil {
				t.Fatal(err)
			}
			st := waitStats(t, s, "subscriptions", (*Stats).Settled)
			if st.Subscribed != n || st.Welcomed != n || st.Upgraded != n || st.Alive != n || st.Failed != 0 || st.Connect.Count() != n {
				t.Fatalf("after open: %+v", st)
			}

			if err := s.Perform(1003, "broadcast", "pad"); err != nil {
				t.Fatal(err)
			}
			r := nextResult(t, results)
			if r.Conn != 1003 || r.Action != cableproto.ActionBroadcastResult {
				t.Fatalf("result %+v", r)
			}
			st = waitStats(t, s, "deliveries", func(st *Stats) bool { return st.Delivered == n })
			if st.Delivery.Count() != n || st.Results != 1 || st.BadMsgs != 0 {
				t.Fatalf("after broadcast: %+v", st)
			}

			if err := s.ResetMeasurements(); err != nil {
				t.Fatal(err)
			}
			if err := s.Perform(1000, "echo", ""); err != nil {
				t.Fatal(err)
			}
			if r := nextResult(t, results); r.Action != cableproto.ActionEcho || r.Conn != 1000 {
				t.Fatalf("echo result %+v", r)
			}
			st, _ = s.Stats()
			if st.Delivered != 0 || st.Results != 1 || st.Result.Count() != 1 || st.Subscribed != n {
				t.Fatalf("after reset+echo: %+v", st)
			}
			if err := s.Perform(5, "echo", ""); err != ErrNotReady {
				t.Fatalf("perform on unknown conn: %v", err)
			}
		})
	}
}

func nextResult(t *testing.T, results <-chan Result) Result {
	t.Helper()
	select {
	case r := <-results:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no result within 10 s")
		return Result{}
	}
}

func TestSourceAddressesAndRateLimit(t *testing.T) {
	addr, _ := startServer(t, 0)
	srcs := []netip.Addr{netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("127.0.0.3")}
	s := newSwarm(t, addr, "json", func(c *Config) { c.SourceIPs = srcs })
	if err := s.Open(30, 2000, 0); err != nil {
		t.Fatal(err)
	}
	st := waitStats(t, s, "subscriptions", (*Stats).Settled)
	if st.Subscribed != 30 {
		t.Fatalf("%+v", st)
	}
}

func TestPingsAndServerCloseAreCounted(t *testing.T) {
	addr, srv := startServer(t, 20*time.Millisecond)
	s := newSwarm(t, addr, "json", nil)
	if err := s.Open(5, 0, 0); err != nil {
		t.Fatal(err)
	}
	waitStats(t, s, "pings", func(st *Stats) bool { return st.Subscribed == 5 && st.Pings >= 5 })
	srv.Close()
	st := waitStats(t, s, "drops", func(st *Stats) bool { return st.Dropped == 5 })
	if st.Alive != 0 || len(st.Errors) == 0 {
		t.Fatalf("%+v", st)
	}
}

func TestConnectRefusedIsAFailure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.MustParseAddrPort(ln.Addr().String())
	ln.Close() // nothing listens there now
	var mu sync.Mutex
	closed := map[int]string{}
	s := newSwarm(t, addr, "json", func(c *Config) {
		c.Base = 10
		c.OnClose = func(conn int, reason string) { mu.Lock(); closed[conn] = reason; mu.Unlock() }
	})
	_ = s.Open(3, 0, 0)
	st := waitStats(t, s, "failures", (*Stats).Settled)
	if st.Failed != 3 || st.Errors["connect: connection refused"] != 3 {
		t.Fatalf("%+v", st)
	}
	mu.Lock()
	defer mu.Unlock()
	for i := 10; i < 13; i++ {
		if closed[i] != "connect: connection refused" {
			t.Fatalf("OnClose reports %v", closed)
		}
	}
}

func TestSilentServerTimesOut(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var mu sync.Mutex
	var held []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c) // accept, never answer
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	}()
	s := newSwarm(t, netip.MustParseAddrPort(ln.Addr().String()), "json", func(c *Config) { c.Timeout = 200 * time.Millisecond })
	_ = s.Open(2, 0, 0)
	st := waitStats(t, s, "timeouts", (*Stats).Settled)
	if st.Failed != 2 || st.Errors["timeout upgrading"] != 2 {
		t.Fatalf("%+v", st)
	}
}

func TestBadUpgradeIsAFailure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 4096)
			_, _ = c.Read(buf)
			_, _ = c.Write([]byte("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"))
			c.Close()
		}
	}()
	s := newSwarm(t, netip.MustParseAddrPort(ln.Addr().String()), "json", nil)
	_ = s.Open(2, 0, 0)
	st := waitStats(t, s, "failures", (*Stats).Settled)
	if st.Failed != 2 {
		t.Fatalf("%+v", st)
	}
	for k := range st.Errors {
		if !strings.Contains(k, "status 503") {
			t.Fatalf("unexpected reason %q", k)
		}
	}
}

func TestMergeStats(t *testing.T) {
	a := Stats{Target: 2, Subscribed: 2, FirstStart: 10, LastReady: 50, Errors: map[string]int{"x": 1}}
	b := Stats{Target: 3, Subscribed: 1, Failed: 2, FirstStart: 5, LastReady: 40, Errors: map[string]int{"x": 2, "y": 1}}
	var m Stats
	m.Merge(&a)
	m.Merge(&b)
	if m.Target != 5 || m.Subscribed != 3 || m.Failed != 2 || m.FirstStart != 5 || m.LastReady != 50 || m.Errors["x"] != 3 || m.Errors["y"] != 1 {
		t.Fatalf("%+v", m)
	}
}

func TestClosedSwarmRefusesCalls(t *testing.T) {
	addr, _ := startServer(t, 0)
	s := newSwarm(t, addr, "json", nil)
	_ = s.Close()
	if _, err := s.Stats(); err != ErrClosed {
		t.Fatalf("stats after close: %v", err)
	}
	if err := s.Open(1, 0, 0); err != ErrClosed {
		t.Fatalf("open after close: %v", err)
	}
}
