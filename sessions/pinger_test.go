package sessions

import (
	"log/slog"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// heapInUse is the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// pingCost connects one session per ?pi= value and reports how many
// goroutines and how much live heap they added.
func pingCost(t *testing.T, values []string) (goroutines int, heap int64) {
	t.Helper()
	n, _ := newTestNode(t, Options{PingInterval: 3 * time.Second, Workers: 4}, Deps{Authenticators: []Authenticator{okAuth{}}})
	// One established session first, so that whatever the pinger starts
	// once per node is in the baseline.
	_, c := connect(n, "/cable")
	welcomed(t, c)
	waitFor(t, "1 client", func() bool { return n.stats.Clients.Load() == 1 })
	g0, h0 := runtime.NumGoroutine(), heapInUse()
	conns := make([]*fakeConn, len(values))
	for i, v := range values {
		_, conns[i] = connect(n, "/cable?pi="+v)
	}
	waitFor(t, "every client established", func() bool { return n.stats.Clients.Load() == int64(len(values)+1) })
	g1, h1 := runtime.NumGoroutine(), heapInUse()
	runtime.KeepAlive(conns)
	return g1 - g0, int64(h1) - int64(h0)
}

// Memory and goroutines must not depend on the intervals clients choose:
// before one scheduler served every value, each distinct ?pi= got its own
// goroutine and a wheel with a slot per 100 ms of the interval.
func TestPingIntervalValuesCostNothing(t *testing.T) {
	var values []string
	for i := 0; i < 40; i++ {
		values = append(values, strconv.Itoa(1000+i))
	}
	g, h := pingCost(t, values)
	if g > 2 {
		t.Errorf("40 distinct ping intervals added %d goroutines", g)
	}
	if h > 2<<20 {
		t.Errorf("40 sessions with distinct ping intervals added %d bytes of heap", h)
	}
}

// Values far beyond the range (one of them used to end the process with
// "out of memory") cost the same as any other.
func TestHugePingIntervalsCostNothing(t *testing.T) {
	values := []string{"2147483647", "99999999999999999999", "3601", "86400"}
	for i := 0; i < 36; i++ {
		values = append(values, strconv.Itoa(100000+i*7919))
	}
	g, h := pingCost(t, values)
	if g > 2 {
		t.Errorf("huge ping intervals added %d goroutines", g)
	}
	if h > 2<<20 {
		t.Errorf("huge ping intervals added %d bytes of heap", h)
	}
}

func TestPingIntervalParameter(t *testing.T) {
	n, rec := newTestNode(t, Options{PingInterval: 3 * time.Second, Workers: 2}, Deps{})
	cases := []struct {
		query string
		want  time.Duration
		bad   bool // ignored with a debug line
	}{
		{"", 3 * time.Second, false},
		{"?pi=1", time.Second, false},
		{"?pi=0", 0, false},
		{"?pi=3600", time.Hour, false},
		{"?pi=3601", time.Hour, false},
		{"?pi=2147483647", time.Hour, false},
		{"?pi=99999999999999999999", time.Hour, false},
		{"?pi=1.5", 3 * time.Second, true},
		{"?pi=abc", 3 * time.Second, true},
		{"?pi=-5", 3 * time.Second, true},
		{"?pi=-99999999999999999999", 3 * time.Second, true},
	}
	for _, tc := range cases {
		before := len(rec.lines(slog.LevelDebug, "ping interval"))
		s, _ := connect(n, "/cable"+tc.query)
		if s.pingInterval != tc.want {
			t.Errorf("%q: interval %v, want %v", tc.query, s.pingInterval, tc.want)
		}
		logged := len(rec.lines(slog.LevelDebug, "ping interval")) - before
		if tc.bad && logged != 1 {
			t.Errorf("%q: %d debug lines, want 1", tc.query, logged)
		}
		if !tc.bad && logged != 0 {
			t.Errorf("%q: %d debug lines, want none", tc.query, logged)
		}
	}
	if w := rec.lines(slog.LevelWarn, "ping interval"); len(w) > 0 {
		t.Errorf("a client-chosen value was logged as a warning: %v", w)
	}
}

// pi=0 disables pings for that session only.
func TestPingIntervalZeroDisablesPings(t *testing.T) {
	n, _ := newTestNode(t, Options{PingInterval: time.Second, Workers: 2}, Deps{Authenticators: []Authenticator{okAuth{}}})
	_, silent := connect(n, "/cable?pi=0")
	_, pinged := connect(n, "/cable?pi=1")
	welcomed(t, silent)
	welcomed(t, pinged)
	// Two pings to the other session: at least one full interval passed.
	waitFor(t, "two pings", func() bool { return pinged.count(`{"type":"ping"`) >= 2 })
	if got := silent.count(`{"type":"ping"`); got != 0 {
		t.Fatalf("session with pi=0 got %d pings", got)
	}
}

// The first ping comes about one interval after the welcome (0.5 to 1.5
// intervals), never right after it.
func TestFirstPingAboutOneIntervalAfterWelcome(t *testing.T) {
	n, _ := newTestNode(t, Options{PingInterval: time.Second, Workers: 4}, Deps{Authenticators: []Authenticator{okAuth{}}})
	const clients = 12
	conns := make([]*fakeConn, clients)
	for i := range conns {
		_, conns[i] = connect(n, "/cable")
	}
	for i, c := range conns {
		w := welcomed(t, c)
		var p sentFrame
		waitFor(t, "first ping", func() bool {
			var ok bool
			p, ok = c.find(`{"type":"ping"`)
			return ok
		})
		d := p.at.Sub(w.at)
		// Lower bound exact; the upper one allows for the scheduler's
		// 100 ms resolution and a loaded machine.
		if d < 500*time.Millisecond || d > 2500*time.Millisecond {
			t.Errorf("client %d: first ping %v after the welcome, want 0.5s-1.5s", i, d)
		}
	}
}

// With a fixed clock: first pings fall between 0.5 and 1.5 intervals
// (spread over that range), later ones every interval, none is lost.
func TestPingSchedule(t *testing.T) {
	p := &pinger{done: make(chan struct{})}
	start := time.Unix(1_000_000, 0)
	const iv = 3 * time.Second
	ss := make([]*Session, 1000)
	for i := range ss {
		ss[i] = &Session{pingInterval: iv}
		p.add(ss[i], start)
	}
	if got := p.due(start.Add(iv/2-time.Nanosecond), nil); len(got) != 0 {
		t.Fatalf("%d pings before half an interval", len(got))
	}
	seen := map[*Session]time.Duration{}
	for now := start; now.Before(start.Add(3 * iv / 2)); now = now.Add(pingTick) {
		for _, s := range p.due(now, nil) {
			if _, dup := seen[s]; dup {
				t.Fatal("two pings within the first 1.5 intervals")
			}
			seen[s] = now.Sub(start)
		}
	}
	if len(seen) != len(ss) {
		t.Fatalf("%d of %d sessions pinged within 1.5 intervals", len(seen), len(ss))
	}
	lo, hi := iv, iv
	for _, d := range seen {
		lo, hi = min(lo, d), max(hi, d)
	}
	if lo > iv/2+iv/10 || hi < 3*iv/2-iv/10 {
		t.Fatalf("first pings not spread over 0.5-1.5 intervals: %v..%v", lo, hi)
	}
	// The next ping of each is one interval after its first.
	s := ss[0]
	first := start.Add(seen[s])
	for now := first.Add(pingTick); now.Before(first.Add(iv - pingTick)); now = now.Add(pingTick) {
		for _, x := range p.due(now, nil) {
			if x == s {
				t.Fatalf("second ping %v after the first", now.Sub(first))
			}
		}
	}
	p.remove(s)
	if s.pingPos != 0 || len(p.heap) != len(ss)-1 {
		t.Fatal("remove left the session scheduled")
	}
	for now := first; now.Before(first.Add(3 * iv)); now = now.Add(pingTick) {
		for _, x := range p.due(now, nil) {
			if x == s {
				t.Fatal("removed session pinged")
			}
		}
	}
}

// The heap stays ordered and every session knows its slot through random
// adds, removes and ticks.
func TestPingHeapInvariant(t *testing.T) {
	p := &pinger{done: make(chan struct{})}
	now := time.Unix(1_000_000, 0)
	var live []*Session
	for step := 0; step < 5000; step++ {
		switch r := (step * 7919) % 10; {
		case r < 5:
			s := &Session{pingInterval: time.Duration(1+step%37) * time.Second}
			p.add(s, now)
			live = append(live, s)
		case r < 8 && len(live) > 0:
			i := (step * 31) % len(live)
			p.remove(live[i])
			live = append(live[:i], live[i+1:]...)
		default:
			now = now.Add(700 * time.Millisecond)
			p.due(now, nil)
		}
		if step%250 != 0 {
			continue
		}
		if len(p.heap) != len(live) {
			t.Fatalf("heap %d, live %d", len(p.heap), len(live))
		}
		for i, s := range p.heap {
			if int(s.pingPos) != i+1 {
				t.Fatalf("slot %d holds a session that thinks it is at %d", i, s.pingPos-1)
			}
			if i > 0 && p.heap[(i-1)/2].pingAt > s.pingAt {
				t.Fatalf("heap order broken at %d", i)
			}
		}
	}
}
