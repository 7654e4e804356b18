package doctor

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Host is where the doctor reads from.
type Host struct {
	// Root is the file system from "/": proc/..., sys/fs/cgroup/...
	Root fs.FS
	// Rlimit returns RLIMIT_NOFILE of this process.
	Rlimit func() (soft, hard uint64, err error)
	// Getenv reads the environment (GOMEMLIMIT).
	Getenv func(string) string
	// SystemdNOFILE returns systemd's DefaultLimitNOFILE ("524288",
	// "infinity"); ok is false without systemctl or a running systemd.
	SystemdNOFILE func() (value string, ok bool)
}

// RealHost reads this machine.
func RealHost() Host {
	return Host{
		Root: os.DirFS("/"),
		Rlimit: func() (uint64, uint64, error) {
			var rl syscall.Rlimit
			err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl)
			return rl.Cur, rl.Max, err
		},
		Getenv:        os.Getenv,
		SystemdNOFILE: systemctlDefaultNOFILE,
	}
}

// systemctlDefaultNOFILE asks the service manager, when there is one, with
// a bound on the time it may take.
func systemctlDefaultNOFILE() (string, bool) {
	path, err := exec.LookPath("systemctl")
	if err != nil {
		return "", false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "show", "--property=DefaultLimitNOFILE", "--value").Output()
	v := strings.TrimSpace(string(out))
	if err != nil || v == "" {
		return "", false
	}
	return v, true
}
