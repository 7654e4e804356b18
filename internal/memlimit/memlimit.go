// Package memlimit makes the Go collector aware of the memory the operator
// gives the process: with no GOMEMLIMIT in the environment and a cgroup
// memory limit (systemd's MemoryMax=, a container's limit), the soft limit
// becomes 90% of the cgroup limit, so the collector works harder as the
// heap nears it instead of the kernel killing the process. An explicit
// GOMEMLIMIT (including "off") always wins.
package memlimit

import (
	"fmt"
	"io/fs"
	"math"

	"github.com/densecable/densecable/internal/cgroup"
)

// Percent of the cgroup limit given to the Go heap: the rest is for what
// the collector does not count (kernel socket buffers are charged to the
// cgroup too, thread stacks, cgo) and for the time the collector needs to
// catch up. internal/doctor advises the same figure.
const Percent = 90

// Result says what Apply decided.
type Result struct {
	// Limit is the soft limit set in bytes (0: none set by Apply).
	Limit int64
	// Source: "GOMEMLIMIT" (the environment's value, left alone),
	// "cgroup" (set from Cgroup), or "" (no limit found: none set).
	Source string
	Cgroup cgroup.Limit
}

// String is the start-up log line.
func (r Result) String() string {
	switch r.Source {
	case "GOMEMLIMIT":
		return "Go memory limit from GOMEMLIMIT"
	case "cgroup":
		return fmt.Sprintf("Go memory limit %d MiB (%d%% of the cgroup v%d memory limit %d MiB, /%s; GOMEMLIMIT overrides)",
			r.Limit>>20, Percent, r.Cgroup.Version, r.Cgroup.Bytes>>20, r.Cgroup.Path)
	}
	return "no cgroup memory limit: the Go memory limit is unset (GOMEMLIMIT sets one)"
}

// Apply sets the runtime's soft memory limit (through set, which is
// debug.SetMemoryLimit in the server) to Percent of the cgroup memory
// limit read under root, unless getenv("GOMEMLIMIT") is set. A cgroup
// that cannot be read is not an error the server should stop for: it is
// returned for the log, with nothing set.
func Apply(getenv func(string) string, root fs.FS, set func(int64) int64) (Result, error) {
	if getenv("GOMEMLIMIT") != "" {
		return Result{Source: "GOMEMLIMIT"}, nil
	}
	cg, err := cgroup.MemoryLimit(root)
	if err != nil || cg.Bytes == 0 {
		return Result{Cgroup: cg}, err
	}
	limit := int64(math.MaxInt64)
	if cg.Bytes/100 < math.MaxInt64/Percent {
		limit = int64(cg.Bytes / 100 * Percent)
	}
	set(limit)
	return Result{Limit: limit, Source: "cgroup", Cgroup: cg}, nil
}
