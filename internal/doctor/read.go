package doctor

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/densecable/densecable/internal/cgroup"
)

// readSysctl reads a numeric /proc/sys value by its dotted name; missing is
// true when the file does not exist (a module not loaded).
func readSysctl(root fs.FS, name string) (v uint64, missing bool, err error) {
	b, err := fs.ReadFile(root, sysctlPath(name))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, true, nil
	}
	if err != nil {
		return 0, false, err
	}
	v, err = strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	return v, false, err
}

func sysctlPath(name string) string {
	return "proc/sys/" + strings.ReplaceAll(name, ".", "/")
}

// parsePortRange reads net.ipv4.ip_local_port_range ("32768\t60999").
func parsePortRange(s string) (lo, hi uint64, err error) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return 0, 0, fmt.Errorf("port range %q", s)
	}
	if lo, err = strconv.ParseUint(f[0], 10, 16); err != nil {
		return 0, 0, err
	}
	if hi, err = strconv.ParseUint(f[1], 10, 16); err != nil {
		return 0, 0, err
	}
	if lo > hi {
		return 0, 0, fmt.Errorf("port range %q", s)
	}
	return lo, hi, nil
}

// parseMemAvailable returns MemAvailable from /proc/meminfo, in bytes.
func parseMemAvailable(meminfo string) (uint64, error) {
	// Split, not bufio.Scanner: a line over 64 KB must not end the search.
	for _, line := range strings.Split(meminfo, "\n") {
		rest, ok := strings.CutPrefix(line, "MemAvailable:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("MemAvailable line %q", line)
		}
		kb, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil || kb > 1<<44 {
			return 0, fmt.Errorf("MemAvailable %q", f[0])
		}
		return kb << 10, nil
	}
	return 0, errors.New("no MemAvailable in /proc/meminfo")
}

// The cgroup reading is shared with the server's memory limit default.
type cgroupLimit = cgroup.Limit

func readCgroupLimit(root fs.FS) (cgroupLimit, error) { return cgroup.MemoryLimit(root) }

var (
	parseProcCgroup = cgroup.ParseProcCgroup
	cgroupFile      = cgroup.File
)
