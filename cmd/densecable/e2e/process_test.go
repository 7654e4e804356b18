package e2e

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// stopGrace is how long a process gets to exit after SIGTERM before it is
// killed.
const stopGrace = 10 * time.Second

// proc is a child process owned by one test: its output is kept for the
// failure report and it is stopped by PID when the test ends.
type proc struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	err  error // exit status, valid once done is closed

	raceChecked bool
}

// startProc starts bin with args and registers its stop with t.Cleanup.
func startProc(t *testing.T, name, bin string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = childEnv()
	return startCmd(t, name, cmd)
}

// startCmd is startProc for a command the test prepared (environment,
// inherited descriptors).
func startCmd(t *testing.T, name string, cmd *exec.Cmd) *proc {
	t.Helper()
	p := &proc{t: t, name: name, out: &syncBuffer{}, done: make(chan struct{}), cmd: cmd}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() || testing.Verbose() {
			t.Logf("--- %s (pid %d) output:\n%s", p.name, p.cmd.Process.Pid, p.out.String())
		}
	})
	return p
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM, waits up to stopGrace, then SIGKILLs. It returns the
// exit error (nil for status 0) and fails the test if the process had to be
// killed or reported a data race.
func (p *proc) stop() error {
	p.t.Helper()
	if !p.exited() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(stopGrace):
			_ = p.cmd.Process.Kill()
			<-p.done
			p.t.Errorf("%s (pid %d) did not exit within %s of SIGTERM; killed", p.name, p.cmd.Process.Pid, stopGrace)
		}
	}
	if !p.raceChecked && strings.Contains(p.out.String(), "WARNING: DATA RACE") {
		p.raceChecked = true
		p.t.Errorf("%s reported a data race (output below)", p.name)
	}
	return p.err
}

// childEnv is this process's environment without the variables densecable
// reads, so the developer's shell cannot change what a test runs.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "ANYCABLE_") || k == "PORT" || k == "REDIS_URL" || k == "NATS_URL" ||
			k == "FLY_APP_NAME" || k == "FLY_ALLOC_ID" || k == "DYNO" {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// exitCode returns the status of a finished process (-1 if it was killed
// by a signal or never ran).
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a child's
// stdout and stderr.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
