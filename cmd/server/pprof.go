package server

import (
	"log/slog"
	"net/http"
	"net/http/pprof"
	"os"
)

// startProfiler serves net/http/pprof on DENSECABLE_PPROF_ADDR (for example
// 127.0.0.1:6060) when that variable is set. It is for benchmarks and
// debugging: bench/ reads heap profiles from it.
func startProfiler(log *slog.Logger) {
	addr := os.Getenv("DENSECABLE_PPROF_ADDR")
	if addr == "" {
		return
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
