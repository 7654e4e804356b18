package doctor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Measurement is what --measure found.
type Measurement struct {
	Conns    int    // idle connections held
	BaseRSS  uint64 // server RSS before them
	RSS      uint64 // with them
	PerConn  uint64 // (RSS - BaseRSS) / Conns
	Duration time.Duration
}

// MeasureOptions bound a measurement.
type MeasureOptions struct {
	Exe   string        // the densecable binary to start
	Conns int           // connections to open (capped by the open-file limit)
	Limit time.Duration // the whole measurement
	Root  fs.FS         // for /proc/<pid>/status
}

// upgrade is a WebSocket handshake for Action Cable JSON.
const upgrade = "GET /cable HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: actioncable-v1-json\r\n\r\n"

// Measure starts Exe on a free loopback port without RPC (--norpc
// --noauth, so every connection is welcomed), reads its RSS, opens
// o.Conns idle connections (each waits for its welcome), reads the RSS
// again and stops the server and the connections. Everything is bounded
// by o.Limit.
func Measure(ctx context.Context, o MeasureOptions) (Measurement, error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, o.Limit)
	defer cancel()
	port, err := freePort()
	if err != nil {
		return Measurement{}, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cmd := exec.Command(o.Exe, "--host=127.0.0.1", "--port="+strconv.Itoa(port), "--ignore-config-path",
		"--norpc", "--noauth", "--broadcast_adapter=http", "--broadcast_key=doctor-measure", "--log_level=error")
	cmd.Env = cleanEnv(os.Environ())
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return Measurement{}, err
	}
	defer stopProcess(cmd)

	if err := waitHealthy(ctx, "http://"+addr+"/health"); err != nil {
		return Measurement{}, err
	}
	pid := cmd.Process.Pid
	base, err := settledRSS(ctx, o.Root, pid)
	if err != nil {
		return Measurement{}, err
	}
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	const batch = 100
	for len(conns) < o.Conns {
		n := min(batch, o.Conns-len(conns))
		got, err := openBatch(ctx, addr, n)
		conns = append(conns, got...)
		if err != nil {
			return Measurement{}, fmt.Errorf("after %d connections: %w", len(conns), err)
		}
	}
	rss, err := settledRSS(ctx, o.Root, pid)
	if err != nil {
		return Measurement{}, err
	}
	m := Measurement{Conns: len(conns), BaseRSS: base, RSS: rss, Duration: time.Since(start)}
	if rss > base {
		m.PerConn = (rss - base) / uint64(len(conns))
	}
	return m, nil
}

// openBatch dials n connections, sends every handshake, then waits for
// each welcome: the server works on a batch at once.
func openBatch(ctx context.Context, addr string, n int) ([]net.Conn, error) {
	deadline, _ := ctx.Deadline()
	var d net.Dialer
	conns := make([]net.Conn, 0, n)
	for range n {
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return conns, err
		}
		conns = append(conns, c)
		_ = c.SetDeadline(deadline)
		if _, err := c.Write([]byte(upgrade)); err != nil {
			return conns, err
		}
	}
	buf := make([]byte, 4096)
	for _, c := range conns {
		var got []byte
		for !bytes.Contains(got, []byte(`"welcome"`)) {
			k, err := c.Read(buf)
			if err != nil {
				return conns, fmt.Errorf("waiting for the welcome: %w", err)
			}
			if got = append(got, buf[:k]...); len(got) > 64<<10 {
				return conns, errors.New("no welcome in 64 KB")
			}
		}
	}
	return conns, nil
}

// settledRSS reads the RSS until two reads 200 ms apart differ by less
// than 64 KB (the runtime settles after a burst), or the context ends.
func settledRSS(ctx context.Context, root fs.FS, pid int) (uint64, error) {
	prev, err := readRSS(root, pid)
	if err != nil {
		return 0, err
	}
	for range 25 {
		select {
		case <-ctx.Done():
			return prev, nil
		case <-time.After(200 * time.Millisecond):
		}
		cur, err := readRSS(root, pid)
		if err != nil {
			return 0, err
		}
		if max(cur, prev)-min(cur, prev) < 64<<10 {
			return cur, nil
		}
		prev = cur
	}
	return prev, nil
}

// readRSS returns VmRSS of a process, in bytes.
func readRSS(root fs.FS, pid int) (uint64, error) {
	b, err := fs.ReadFile(root, "proc/"+strconv.Itoa(pid)+"/status")
	if err != nil {
		return 0, err
	}
	return parseVmRSS(string(b))
}

func parseVmRSS(status string) (uint64, error) {
	for _, line := range strings.Split(status, "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) == 2 && f[1] == "kB" {
				kb, err := strconv.ParseUint(f[0], 10, 64)
				if err == nil && kb < 1<<44 {
					return kb << 10, nil
				}
			}
			return 0, fmt.Errorf("VmRSS line %q", line)
		}
	}
	return 0, errors.New("no VmRSS in status")
}

func waitHealthy(ctx context.Context, url string) error {
	client := &http.Client{Timeout: time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if res, err := client.Do(req); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("server did not answer %s: %w", url, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func stopProcess(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// cleanEnv drops ANYCABLE_* so the measured server runs with the
// defaults, whatever this shell configures.
func cleanEnv(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, "ANYCABLE_") {
			out = append(out, kv)
		}
	}
	return out
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
