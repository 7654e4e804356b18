package doctor

import (
	"fmt"
	"strconv"
)

// The per-connection cost compiled into the binary, from docs/benchmarks.md
// ("Cost model, extrapolated", 2026-12-05): an idle JSON connection costs
// densecable about 3.0 KB of RSS (2.92 KB measured at 15,000 connections
// by `make bench-compare`, 3.09 KB at 19,000 by the load generator) above
// an idle process of about 23 MB, and the kernel about 3.6 KB of slab per
// TCP socket (outside RSS). `doctor --measure` measures the first figure on
// this host instead.
const (
	OwnBytesPerConn    = 3000
	KernelBytesPerConn = 3600
	BaseBytes          = 23 << 20
	// ReservedFDs are descriptors the server needs besides connections:
	// listeners, RPC, Redis/NATS, logs, epoll.
	ReservedFDs = 128
)

// Estimate is the capacity: connections this host can hold idle.
type Estimate struct {
	Conns      uint64 // min of the two below
	ByFiles    uint64
	ByMemory   uint64 // 0 = memory unknown
	MemBudget  uint64
	MemSource  string
	PerConn    uint64 // densecable's own bytes per connection used
	Measured   bool   // PerConn came from --measure
	LimitedBy  string
	FilesLimit string
}

// Capacity estimates from the readings; ownPerConn is 0 for the compiled
// figure, or a measured one.
func Capacity(r Readings, ownPerConn uint64) Estimate {
	e := Estimate{PerConn: OwnBytesPerConn}
	if ownPerConn > 0 {
		e.PerConn, e.Measured = ownPerConn, true
	}
	files, what := r.NOFILEHard, "the open-file hard limit"
	if r.FileMax > 0 && r.FileMax < files {
		files, what = r.FileMax, "fs.file-max"
	}
	if files > ReservedFDs {
		e.ByFiles = files - ReservedFDs
	}
	e.FilesLimit = fmt.Sprintf("%s (%d) less %d reserved", what, files, ReservedFDs)

	e.MemBudget, e.MemSource = r.MemAvailable, "MemAvailable"
	if r.Cgroup.Bytes > 0 && (e.MemBudget == 0 || r.Cgroup.Bytes < e.MemBudget) {
		e.MemBudget, e.MemSource = r.Cgroup.Bytes, "the cgroup memory limit"
	}
	if e.MemBudget > BaseBytes {
		e.ByMemory = (e.MemBudget - BaseBytes) / (e.PerConn + KernelBytesPerConn)
	}

	e.Conns, e.LimitedBy = e.ByFiles, "open files"
	if e.MemBudget > 0 && e.ByMemory < e.Conns {
		e.Conns, e.LimitedBy = e.ByMemory, "memory"
	}
	return e
}

// about rounds down to two significant digits and groups thousands:
// 1,234,567 → "1,200,000".
func about(n uint64) string {
	p := uint64(1)
	for n/p >= 100 {
		p *= 10
	}
	return group(n / p * p)
}

func group(n uint64) string {
	s := strconv.FormatUint(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
