package server

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Two densecable processes (here two apps in one test binary) share the
// main and broadcast ports with --reuse_port, and without it the second one
// fails to start with "address already in use".
func TestReusePortTwoServersOnePort(t *testing.T) {
	a := startServer(t, "--reuse_port")
	port := a.ws.Addr().(*net.TCPAddr).Port
	bport := a.bcastLn.Addr().(*net.TCPAddr).Port
	startServer(t, "--reuse_port", fmt.Sprintf("--port=%d", port), fmt.Sprintf("--http_broadcast_port=%d", bport))

	cfgArgs := []string{fmt.Sprintf("--port=%d", port), fmt.Sprintf("--http_broadcast_port=%d", freePort(t))}
	err := startErr(t, cfgArgs...)
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("a third server without --reuse_port: %v, want address already in use", err)
	}
}

// Long-poll sessions live in the process that opened them, and
// SO_REUSEPORT picks a process per TCP connection, not per client: a poll
// on a new connection may land on the other process and get 401, while
// polls on one kept-alive connection stay with their process. This is why
// docs/long-polling.md asks for sticky routing in front of several
// processes.
func TestReusePortLongPollIsNotSticky(t *testing.T) {
	flags := []string{"--reuse_port", "--poll", "--public", "--poll_interval=1"}
	a := startServer(t, flags...)
	port := a.ws.Addr().(*net.TCPAddr).Port
	bport := a.bcastLn.Addr().(*net.TCPAddr).Port
	startServer(t, append(flags, fmt.Sprintf("--port=%d", port), fmt.Sprintf("--http_broadcast_port=%d", bport))...)
	url := a.httpURL("/lp")

	// A client on one kept-alive connection: open, then poll twice.
	sticky := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxConnsPerHost: 1}}
	id := pollOpen(t, sticky, url)
	for i := 0; i < 2; i++ {
		if code := pollOnce(t, sticky, url, id); code != http.StatusOK {
			t.Fatalf("poll %d on the session's own connection: %d, want 200", i, code)
		}
	}

	// New connections are hashed to either process: some reach the session
	// (200), others the process that never heard of it (401).
	fresh := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	seen := map[int]int{}
	for i := 0; i < 64 && (seen[http.StatusOK] == 0 || seen[http.StatusUnauthorized] == 0); i++ {
		seen[pollOnce(t, fresh, url, id)]++
	}
	if seen[http.StatusOK] == 0 || seen[http.StatusUnauthorized] == 0 || len(seen) != 2 {
		t.Fatalf("answers to polls on new connections: %v, want both 200 and 401", seen)
	}
}

// pollOpen opens a long-poll session and returns its id.
func pollOpen(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	res, err := c.Post(url, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	id := res.Header.Get("X-Anycable-Poll-ID")
	if res.StatusCode != http.StatusOK || id == "" {
		t.Fatalf("open: %d, id %q", res.StatusCode, id)
	}
	return id
}

// pollOnce sends one empty poll for id and returns the status.
func pollOnce(t *testing.T, c *http.Client, url, id string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Anycable-Poll-ID", id)
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// startErr starts a server like startServer and returns the error that
// stopped it from starting (nil: it started, and is stopped at cleanup).
func startErr(t *testing.T, flags ...string) error {
	t.Helper()
	cfg := parseConfig(t, append([]string{"--host=127.0.0.1", "--broadcast_adapter=http", "--poller=" + engineOf(t)}, flags...)...)
	a, err := newApp(cfg, newLogger(io.Discard, "error", "text"))
	if err != nil {
		return err
	}
	err = a.start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		a.stop(ctx)
	})
	return err
}
