package chaos

import (
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/densecable/densecable/bench/internal/swarm"
)

// TestOpenFileLimit: densecable runs with RLIMIT_NOFILE 2000 (soft and
// hard, so the Go runtime cannot raise it) and gets 3,000 connection
// attempts. The ones past the limit are refused at once (a close, not a
// hang until the client's timeout), the server logs it at most once a
// second, the clients already in keep being served, and once clients leave
// new connections are accepted again.
func TestOpenFileLimit(t *testing.T) {
	const limit = 2000
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Fatal("prlimit (util-linux) is needed to lower the server's open-file limit")
	}
	srv := startServer(t, []string{prlimit, "--nofile=2000:2000", "--"}, "--public", "--norpc")
	if !strings.Contains(srv.logs(), "open file limit: 2000") {
		t.Fatalf("the server does not run with the lowered limit:\n%s", tail(srv.logs(), 20))
	}
	// A keep-alive connection to the broadcast endpoint, opened before the
	// server runs out of descriptors, so broadcasts can still get in.
	bc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1, MaxConnsPerHost: 1}}
	defer bc.CloseIdleConnections()
	if err := srv.broadcastWith(bc, "all", benchMessage("")); err != nil {
		t.Fatal(err)
	}

	first := newSwarm(t, srv, pubsubIdentifier("all"), nil)
	if err := first.Open(1500, 0, 200); err != nil {
		t.Fatal(err)
	}
	st1 := waitStats(t, first, 60*time.Second, "the first 1,500 clients", (*swarm.Stats).Settled)
	if st1.Subscribed != 1500 {
		t.Fatalf("first 1,500 under the limit: %s", fmtStats(&st1))
	}

	// 1,500 more: about 500 fit, the rest must be refused promptly. The
	// swarm's own timeout (20 s) is what a hang would end in.
	floodStart := time.Now()
	second := newSwarm(t, srv, pubsubIdentifier("all"), func(c *swarm.Config) { c.Timeout = 20 * time.Second })
	if err := second.Open(1500, 0, 300); err != nil {
		t.Fatal(err)
	}
	st2 := waitStats(t, second, 60*time.Second, "the flood to settle", (*swarm.Stats).Settled)
	floodTook := time.Since(floodStart)
	t.Logf("flood: %d of 1,500 subscribed, %d refused in %v: %v", st2.Subscribed, st2.Failed, floodTook.Round(time.Millisecond), st2.Errors)
	total := st1.Subscribed + st2.Subscribed
	if total > limit || total < limit-100 {
		t.Errorf("%d clients connected under a limit of %d descriptors (want close to the limit)", total, limit)
	}
	for reason, n := range st2.Errors {
		if strings.HasPrefix(reason, "timeout") {
			t.Errorf("%d connection attempts hung until the client timed out (%q): refusal must be prompt", n, reason)
		}
	}
	if st2.Failed == 0 {
		t.Fatalf("no connection refused: %s", fmtStats(&st2))
	}

	// Everyone connected is still served.
	if err := srv.broadcastWith(bc, "all", benchMessage("")); err != nil {
		t.Fatalf("broadcast at the limit: %v", err)
	}
	waitStats(t, first, 30*time.Second, "the broadcast at the first clients", func(st *swarm.Stats) bool { return st.Delivered == int64(st1.Subscribed) })
	waitStats(t, second, 30*time.Second, "the broadcast at the second clients", func(st *swarm.Stats) bool {
		return st.Delivered == int64(st2.Subscribed)
	})
	if srv.exited() {
		t.Fatalf("server died at the limit: %v", srv.err)
	}

	// Refusals are logged, at most once a second.
	refusals := regexp.MustCompile(`Refusing new connections: open file limit reached`).FindAllString(srv.logs(), -1)
	if len(refusals) == 0 {
		t.Errorf("no log line about refused connections")
	}
	if max := int(time.Since(floodStart)/time.Second) + 2; len(refusals) > max {
		t.Errorf("%d refusal log lines in %v: not rate limited", len(refusals), time.Since(floodStart))
	}

	// Recovery: the second group leaves, new clients get in.
	_ = second.Close()
	waitFor(t, 30*time.Second, "health check once descriptors are free", srv.healthy)
	third := newSwarm(t, srv, pubsubIdentifier("all"), nil)
	if err := third.Open(300, 0, 100); err != nil {
		t.Fatal(err)
	}
	st3 := waitStats(t, third, 60*time.Second, "300 new clients after recovery", (*swarm.Stats).Settled)
	if st3.Subscribed != 300 {
		t.Fatalf("after clients left: %s", fmtStats(&st3))
	}
	if err := srv.broadcastWith(bc, "all", benchMessage("")); err != nil {
		t.Fatal(err)
	}
	waitStats(t, third, 30*time.Second, "a broadcast at the new clients", func(st *swarm.Stats) bool { return st.Delivered == 300 })
}
