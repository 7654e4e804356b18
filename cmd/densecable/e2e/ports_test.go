package e2e

import (
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// startTimeout bounds how long a started process may take to listen.
const startTimeout = 15 * time.Second

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func hostPort(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// waitListening waits until p accepts TCP connections on port, failing the
// test if p exits first or startTimeout passes.
func waitListening(t *testing.T, p *proc, port int) {
	t.Helper()
	waitFor(t, p, "listening on "+hostPort(port), func() bool {
		c, err := net.DialTimeout("tcp", hostPort(port), 200*time.Millisecond)
		if err != nil {
			return false
		}
		c.Close()
		return true
	})
}

// waitHealthy waits until GET url answers 200.
func waitHealthy(t *testing.T, p *proc, url string) {
	t.Helper()
	client := &http.Client{Timeout: 500 * time.Millisecond}
	waitFor(t, p, "GET "+url+" = 200", func() bool {
		res, err := client.Get(url)
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
}

func waitFor(t *testing.T, p *proc, what string, ready func() bool) {
	t.Helper()
	deadline := time.Now().Add(startTimeout)
	for !ready() {
		if p.exited() {
			t.Fatalf("%s exited (%v) before %s", p.name, p.err, what)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no %s after %s", p.name, what, startTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
