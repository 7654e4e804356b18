// Package chaos holds end-to-end failure tests: the real densecable binary
// (and the benchmark RPC application) run as subprocesses on loopback, and
// the tests break things around them — kill the RPC application, stop
// reading, send SIGTERM under load, lower the open-file limit — and check
// what clients see. Thousands of clients come from the event-loop swarm
// (one goroutine), so the race detector's goroutine limit is never near.
//
// The package lives under bench/ because the swarm is bench-internal.
package chaos

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/densecable/densecable/bench/internal/cableproto"
	"github.com/densecable/densecable/bench/internal/swarm"
	"github.com/densecable/densecable/bench/internal/wsframe"
)

// binDir holds the binaries built once for the whole test binary.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "densecable-chaos-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var builds sync.Map // package path → *buildResult

type buildResult struct {
	once sync.Once
	path string
	err  error
}

// binary builds a main package of this module (without -race: the server
// under test runs at full speed and without the race detector's goroutine
// limit) once per test binary and returns its path.
func binary(t *testing.T, pkg string) string {
	t.Helper()
	v, _ := builds.LoadOrStore(pkg, &buildResult{})
	b := v.(*buildResult)
	b.once.Do(func() {
		b.path = filepath.Join(binDir, filepath.Base(pkg))
		start := time.Now()
		cmd := exec.Command("go", "build", "-o", b.path, "github.com/densecable/densecable/"+pkg)
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.err = fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		}
		t.Logf("built %s in %v", pkg, time.Since(start).Round(time.Millisecond))
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// proc is a subprocess whose output goes to a file in the test's temp dir.
type proc struct {
	t       *testing.T
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	err     error // exit status, valid after done
}

func startProc(t *testing.T, name string, argv ...string) *proc {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	p := &proc{t: t, name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("--- %s log (tail) ---\n%s", name, tail(p.logs(), 60))
		}
	})
	return p
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill stops the process with SIGKILL (if it still runs) and reaps it.
func (p *proc) kill() {
	if !p.exited() {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
	}
	<-p.done
}

func (p *proc) signal(sig os.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signal %s: %v", p.name, err)
	}
}

// waitExit waits up to d for the process to end and returns its exit error.
func (p *proc) waitExit(d time.Duration) (error, bool) {
	select {
	case <-p.done:
		return p.err, true
	case <-time.After(d):
		return nil, false
	}
}

func (p *proc) logs() string {
	b, _ := os.ReadFile(p.logPath)
	return string(b)
}

func tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}

// server is a densecable subprocess.
type server struct {
	*proc
	port, bport int
	http        *http.Client
}

// startServer runs densecable on free loopback ports with HTTP broadcasting
// (never the shared Redis) and metrics, and waits for /health. prefix, when
// given, is prepended to the command line (e.g. prlimit).
func startServer(t *testing.T, prefix []string, flags ...string) *server {
	t.Helper()
	return startServerOn(t, freePort(t), prefix, flags...)
}

// startServerWithBroadcastPort is startServer with a broadcast port chosen
// by the caller (an application that broadcasts needs it first).
func startServerWithBroadcastPort(t *testing.T, bport int, flags ...string) *server {
	t.Helper()
	return startServerOn(t, bport, nil, flags...)
}

func startServerOn(t *testing.T, bport int, prefix []string, flags ...string) *server {
	t.Helper()
	bin := binary(t, "cmd/densecable")
	s := &server{port: freePort(t), bport: bport, http: &http.Client{Timeout: 10 * time.Second}}
	args := append(append([]string{}, prefix...), bin,
		"--host=127.0.0.1", "--port="+strconv.Itoa(s.port), "--ignore-config-path",
		"--broadcast_adapter=http", "--http_broadcast_port="+strconv.Itoa(s.bport),
		"--metrics_http=/metrics")
	args = append(args, flags...)
	s.proc = startProc(t, "densecable", args...)
	t.Cleanup(s.http.CloseIdleConnections)
	waitFor(t, 60*time.Second, "densecable /health", func() bool {
		if s.exited() {
			t.Fatalf("densecable exited at start: %v\n%s", s.err, tail(s.logs(), 30))
		}
		return s.healthy()
	})
	return s
}

func (s *server) addr() netip.AddrPort {
	return netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(s.port))
}

func (s *server) healthy() bool {
	resp, err := s.http.Get(fmt.Sprintf("http://127.0.0.1:%d/health", s.port))
	if err != nil {
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// broadcast publishes data (a JSON value, sent as the string the protocol
// carries) to stream through the HTTP broadcast endpoint, with client c
// (nil: the server's own client).
func (s *server) broadcastWith(c *http.Client, stream string, data []byte) error {
	body, _ := json.Marshal(map[string]string{"stream": stream, "data": string(data)})
	if c == nil {
		c = s.http
	}
	resp, err := c.Post(fmt.Sprintf("http://127.0.0.1:%d/_broadcast", s.bport), "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("broadcast: HTTP %d", resp.StatusCode)
	}
	return nil
}

func (s *server) broadcast(stream string, data []byte) error {
	return s.broadcastWith(nil, stream, data)
}

// metric reads one anycable_go_* value from /metrics.
func (s *server) metric(name string) (float64, error) {
	resp, err := s.http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", s.port))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	want := "anycable_go_" + name
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && (f[0] == want || strings.HasPrefix(f[0], want+"{")) {
			return strconv.ParseFloat(f[1], 64)
		}
	}
	return 0, fmt.Errorf("metric %s not found", want)
}

// waitFor polls cond every 20 ms until it holds, failing the test after d
// (a bound for a loaded machine, not a timing assertion).
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// pubsubIdentifier subscribes to a public stream (server run with --public).
func pubsubIdentifier(stream string) string {
	b, _ := json.Marshal(map[string]string{"channel": "$pubsub", "stream_name": stream})
	return string(b)
}

// newSwarm starts an event-loop client swarm against s.
func newSwarm(t *testing.T, s *server, identifier string, mutate func(*swarm.Config)) *swarm.Swarm {
	t.Helper()
	cfg := swarm.Config{
		Server:     s.addr(),
		Request:    wsframe.Request{Host: s.addr().String(), Path: "/cable", Origin: "http://localhost"},
		Codec:      cableproto.JSON{},
		Identifier: identifier,
		Timeout:    30 * time.Second,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	sw, err := swarm.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sw.Close() })
	return sw
}

// waitStats polls the swarm until cond holds, failing after d.
func waitStats(t *testing.T, sw *swarm.Swarm, d time.Duration, what string, cond func(*swarm.Stats) bool) swarm.Stats {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		st, err := sw.Stats()
		if err != nil {
			t.Fatal(err)
		}
		if cond(&st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s: %s", d, what, fmtStats(&st))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func fmtStats(st *swarm.Stats) string {
	return fmt.Sprintf("target=%d started=%d subscribed=%d failed=%d alive=%d dropped=%d delivered=%d disconnects=%d errors=%v",
		st.Target, st.Started, st.Subscribed, st.Failed, st.Alive, st.Dropped, st.Delivered, st.Disconnects, st.Errors)
}

// benchMessage is a broadcast payload the swarm counts as a delivery.
func benchMessage(padding string) []byte {
	return cableproto.AppendBenchData(nil, "broadcast", time.Now().UnixNano(), padding)
}
