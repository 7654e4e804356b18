package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runDoctor runs the real binary's doctor subcommand on this machine.
func runDoctor(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(binaries.densecable, append([]string{"doctor"}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return out.String(), ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return out.String(), 0
	case <-time.After(90 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("doctor %v did not finish:\n%s", args, out.String())
	}
	return "", -1
}

// `densecable doctor` reads this machine: every limit is listed, the open
// file limit is the one this process has, it ends with an estimate and
// exits 0; --strict exits 1 exactly when a check failed.
func TestDoctorOnThisMachine(t *testing.T) {
	out, rc := runDoctor(t)
	if rc != 0 {
		t.Fatalf("rc %d:\n%s", rc, out)
	}
	for _, name := range []string{"open files (RLIMIT_NOFILE)", "systemd DefaultLimitNOFILE", "fs.nr_open", "fs.file-max",
		"net.core.somaxconn", "net.ipv4.tcp_max_syn_backlog", "net.ipv4.ip_local_port_range", "net.netfilter.nf_conntrack_max",
		"memory available (MemAvailable)", "cgroup memory limit", "GOMEMLIMIT"} {
		if !regexp.MustCompile(`\n\[[A-Z]+\] +` + regexp.QuoteMeta(name) + `: `).MatchString(out) {
			t.Errorf("no %s line", name)
		}
	}
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, fmt.Sprintf("hard %d (", rl.Max)) {
		t.Errorf("hard limit %d not reported", rl.Max)
	}
	if !regexp.MustCompile(`\nCapacity: about [0-9,]+ connections \(limited by (open files|memory)\)`).MatchString(out) {
		t.Errorf("no estimate")
	}
	if t.Failed() {
		t.Fatalf("output:\n%s", out)
	}
	want := 0
	if strings.Contains(out, "[FAIL]") {
		want = 1
	}
	if _, rc := runDoctor(t, "--strict"); rc != want {
		t.Fatalf("--strict rc %d, want %d", rc, want)
	}
}

// `doctor --measure` starts the binary on loopback, holds idle
// connections, and reports a per-connection cost it then estimates with.
func TestDoctorMeasure(t *testing.T) {
	out, rc := runDoctor(t, "--measure", "--measure_conns=500")
	if rc != 0 {
		t.Fatalf("rc %d:\n%s", rc, out)
	}
	m := regexp.MustCompile(`with 500 connections: ([0-9.]+) (B|KiB) per connection`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no measurement:\n%s", out)
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	if m[2] == "KiB" {
		v *= 1024
	}
	// Above zero and below a goroutine-per-connection server's cost (a
	// -race build inflates the figure, hence the wide bound).
	if v <= 0 || v > 200<<10 {
		t.Fatalf("per connection %.0f bytes:\n%s", v, out)
	}
	if !strings.Contains(out, "(measured on this host by --measure)") {
		t.Fatalf("estimate does not use the measurement:\n%s", out)
	}
}
