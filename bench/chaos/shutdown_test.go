package chaos

import (
	"bytes"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/densecable/densecable/bench/internal/swarm"
)

// TestSIGTERMWith5000Clients: on SIGTERM every one of 5,000 subscribed
// clients receives {"type":"disconnect","reason":"server_restart",...}
// and then the close frame 1001, and the process exits cleanly, all within
// shutdown_timeout.
func TestSIGTERMWith5000Clients(t *testing.T) {
	const n = 5000
	const shutdownTimeout = 20 * time.Second
	srv := startServer(t, nil, "--public", "--norpc", "--shutdown_timeout=20")

	var mu sync.Mutex
	restart := make(map[int]bool, n)      // server_restart seen (and not yet closed)
	closedWith := make(map[int]string, n) // close reason, "!" prefix when no server_restart came first
	sw := newSwarm(t, srv, pubsubIdentifier("all"), func(c *swarm.Config) {
		c.OnDisconnect = func(conn int, payload []byte) {
			if bytes.Contains(payload, []byte(`"reason":"server_restart"`)) && bytes.Contains(payload, []byte(`"reconnect":true`)) {
				mu.Lock()
				restart[conn] = true
				mu.Unlock()
			}
		}
		c.OnClose = func(conn int, reason string) {
			mu.Lock()
			if !restart[conn] {
				reason = "!" + reason
			}
			closedWith[conn] = reason
			mu.Unlock()
		}
	})
	if err := sw.Open(n, 0, 500); err != nil {
		t.Fatal(err)
	}
	st := waitStats(t, sw, 60*time.Second, "5000 subscriptions", (*swarm.Stats).Settled)
	if st.Subscribed != n {
		t.Fatalf("only %d of %d subscribed: %s", st.Subscribed, n, fmtStats(&st))
	}
	// Every client really is live: one broadcast reaches all of them.
	if err := srv.broadcast("all", benchMessage("")); err != nil {
		t.Fatal(err)
	}
	waitStats(t, sw, 30*time.Second, "a broadcast to every client", func(st *swarm.Stats) bool { return st.Delivered == n })

	start := time.Now()
	srv.signal(syscall.SIGTERM)
	st = waitStats(t, sw, shutdownTimeout+5*time.Second, "every client closed", func(st *swarm.Stats) bool { return st.Alive == 0 })
	allClosed := time.Since(start)
	exitErr, ok := srv.waitExit(shutdownTimeout + 5*time.Second - time.Since(start))
	if !ok {
		t.Fatalf("densecable still running %v after SIGTERM", time.Since(start))
	}
	exited := time.Since(start)
	t.Logf("SIGTERM: %d clients closed in %v, process exited in %v (%v)", n, allClosed.Round(time.Millisecond), exited.Round(time.Millisecond), exitErr)
	if exitErr != nil {
		t.Errorf("exit status after SIGTERM: %v", exitErr)
	}
	if exited > shutdownTimeout {
		t.Errorf("shutdown took %v, over shutdown_timeout %v", exited, shutdownTimeout)
	}
	if st.Disconnects != n || st.Dropped != n {
		t.Errorf("after SIGTERM: %s", fmtStats(&st))
	}
	mu.Lock()
	defer mu.Unlock()
	bad := map[string]int{}
	for i := 0; i < n; i++ {
		if r := closedWith[i]; r != "closed by server: code 1001" {
			bad[r]++
		}
	}
	if len(bad) > 0 {
		t.Fatalf("clients not closed with server_restart then 1001 (\"!\": no server_restart before the close; \"\": never closed): %v", bad)
	}
}
