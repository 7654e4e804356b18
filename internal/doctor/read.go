package doctor

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
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

// cgroupLimit is a memory limit of the cgroup this process is in.
type cgroupLimit struct {
	Version int    // 1 or 2; 0 = no cgroup memory controller found
	Path    string // the file read
	Bytes   uint64 // 0 = no limit
}

// v1Unlimited: cgroup v1 writes "no limit" as a page-rounded huge number.
const v1Unlimited = 1 << 62

// readCgroupLimit finds the memory limit from /proc/self/cgroup: the
// unified ("0::/path") hierarchy's memory.max, else v1's
// memory/…/memory.limit_in_bytes.
func readCgroupLimit(root fs.FS) (cgroupLimit, error) {
	b, err := fs.ReadFile(root, "proc/self/cgroup")
	if err != nil {
		return cgroupLimit{}, err
	}
	v2, v1 := parseProcCgroup(string(b))
	if v2 != "" {
		p := cgroupFile("sys/fs/cgroup", v2, "memory.max")
		if s, err := fs.ReadFile(root, p); err == nil {
			v := strings.TrimSpace(string(s))
			if v == "max" {
				return cgroupLimit{Version: 2, Path: p}, nil
			}
			n, err := strconv.ParseUint(v, 10, 64)
			return cgroupLimit{Version: 2, Path: p, Bytes: n}, err
		}
	}
	if v1 != "" {
		p := cgroupFile("sys/fs/cgroup/memory", v1, "memory.limit_in_bytes")
		if s, err := fs.ReadFile(root, p); err == nil {
			n, err := strconv.ParseUint(strings.TrimSpace(string(s)), 10, 64)
			if n >= v1Unlimited {
				n = 0
			}
			return cgroupLimit{Version: 1, Path: p, Bytes: n}, err
		}
	}
	return cgroupLimit{}, nil
}

// parseProcCgroup returns the v2 path ("0::/x") and the v1 memory
// controller's path ("4:memory:/x" or "4:cpu,memory:/x").
func parseProcCgroup(s string) (v2, v1 string) {
	for _, line := range strings.Split(s, "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 || !strings.HasPrefix(parts[2], "/") {
			continue
		}
		if parts[0] == "0" && parts[1] == "" {
			v2 = parts[2]
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			if c == "memory" {
				v1 = parts[2]
			}
		}
	}
	return v2, v1
}

// cgroupFile joins a hierarchy root, a cgroup path from /proc/self/cgroup
// and a file name, refusing to climb out of the root.
func cgroupFile(base, cg, file string) string {
	var keep []string
	for _, seg := range strings.Split(cg, "/") {
		if seg == "" || seg == "." || seg == ".." {
			continue
		}
		keep = append(keep, seg)
	}
	return strings.Join(append(append([]string{base}, keep...), file), "/")
}
