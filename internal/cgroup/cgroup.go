// Package cgroup reads the memory limit of the cgroup this process runs in
// (systemd's MemoryMax=, a container's memory limit): the doctor reports it
// and the server sizes the Go memory limit from it.
package cgroup

import (
	"io/fs"
	"strconv"
	"strings"
)

// Limit is a memory limit of the cgroup this process is in.
type Limit struct {
	Version int    // 1 or 2; 0 = no cgroup memory controller found
	Path    string // the file read, relative to the root
	Bytes   uint64 // 0 = no limit
}

// v1Unlimited: cgroup v1 writes "no limit" as a page-rounded huge number.
const v1Unlimited = 1 << 62

// MemoryLimit finds the memory limit from proc/self/cgroup under root (the
// file system from "/"): the unified ("0::/path") hierarchy's memory.max,
// else v1's memory/…/memory.limit_in_bytes.
func MemoryLimit(root fs.FS) (Limit, error) {
	b, err := fs.ReadFile(root, "proc/self/cgroup")
	if err != nil {
		return Limit{}, err
	}
	v2, v1 := ParseProcCgroup(string(b))
	if v2 != "" {
		p := File("sys/fs/cgroup", v2, "memory.max")
		if s, err := fs.ReadFile(root, p); err == nil {
			v := strings.TrimSpace(string(s))
			if v == "max" {
				return Limit{Version: 2, Path: p}, nil
			}
			n, err := strconv.ParseUint(v, 10, 64)
			return Limit{Version: 2, Path: p, Bytes: n}, err
		}
	}
	if v1 != "" {
		p := File("sys/fs/cgroup/memory", v1, "memory.limit_in_bytes")
		if s, err := fs.ReadFile(root, p); err == nil {
			n, err := strconv.ParseUint(strings.TrimSpace(string(s)), 10, 64)
			if n >= v1Unlimited {
				n = 0
			}
			return Limit{Version: 1, Path: p, Bytes: n}, err
		}
	}
	return Limit{}, nil
}

// ParseProcCgroup returns the v2 path ("0::/x") and the v1 memory
// controller's path ("4:memory:/x" or "4:cpu,memory:/x").
func ParseProcCgroup(s string) (v2, v1 string) {
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

// File joins a hierarchy root, a cgroup path from /proc/self/cgroup and a
// file name, refusing to climb out of the root.
func File(base, cg, file string) string {
	var keep []string
	for _, seg := range strings.Split(cg, "/") {
		if seg == "" || seg == "." || seg == ".." {
			continue
		}
		keep = append(keep, seg)
	}
	return strings.Join(append(append([]string{base}, keep...), file), "/")
}
