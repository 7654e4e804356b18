package server

import (
	"log/slog"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	"strconv"
)

// startProfiler serves net/http/pprof on DENSECABLE_PPROF_ADDR (for example
// 127.0.0.1:6060) when that variable is set. It is for benchmarks and
// debugging: bench/ reads heap profiles from it. DENSECABLE_PPROF_MEMRATE
// sets runtime.MemProfileRate (1: every allocation is sampled, so that an
// allocation profile of a few thousand connects is exact; slow).
func startProfiler(log *slog.Logger) {
	addr := os.Getenv("DENSECABLE_PPROF_ADDR")
	if addr == "" {
		return
	}
	if r, err := strconv.Atoi(os.Getenv("DENSECABLE_PPROF_MEMRATE")); err == nil && r > 0 {
		runtime.MemProfileRate = r
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	go func() {
		log.Info("Serving pprof at http://" + addr + "/debug/pprof/")
		if err := http.ListenAndServe(addr, mux); err != nil {
			log.Error("pprof server stopped", "error", err)
		}
	}()
}
