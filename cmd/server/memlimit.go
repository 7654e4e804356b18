package server

import (
	"log/slog"
	"os"
	"runtime/debug"

	"github.com/densecable/densecable/internal/memlimit"
)

// setMemoryLimit gives the collector the cgroup's memory limit (90% of it)
// when GOMEMLIMIT is unset, like automaxprocs does for GOMAXPROCS, and
// densecable's GC target when GOGC is unset (docs/deployment.md, "Memory
// and the garbage collector").
func setMemoryLimit(log *slog.Logger) {
	log.Info(memlimit.ApplyGC(os.Getenv, debug.SetGCPercent))
	r, err := memlimit.Apply(os.Getenv, os.DirFS("/"), debug.SetMemoryLimit)
	switch {
	case err != nil:
		log.Debug("cgroup memory limit not read", "error", err)
	case r.Source == "":
		log.Debug(r.String())
	default:
		log.Info(r.String())
	}
}
