package e2e

import (
	"os/exec"
	"strconv"
	"testing"
)

// startRedis starts a throwaway redis-server on 127.0.0.1:port without
// persistence (a restart loses everything, as a crashed cache does) and
// waits until it answers PING. It is stopped by PID when the test ends.
func startRedis(t *testing.T, port int) *proc {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server is needed on PATH for the Redis restart test: %v", err)
	}
	p := startProc(t, "redis-server :"+strconv.Itoa(port), bin,
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", t.TempDir())
	addr := hostPort(port)
	waitFor(t, p, "redis PING", func() bool {
		v, err := redisDo(addr, "PING")
		return err == nil && v == "PONG"
	})
	return p
}

// kill ends the process with SIGKILL (a crash, no shutdown) and waits for
// it.
func (p *proc) kill() {
	p.t.Helper()
	if !p.exited() {
		_ = p.cmd.Process.Kill()
	}
	<-p.done
}
