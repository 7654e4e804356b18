// Command embedded-cable is an example of densecable embedded in another Go
// program: the program's own routes and densecable's handlers share one
// http.ServeMux and one http.Server. densecable's configuration comes from
// the usual ANYCABLE_* variables (ANYCABLE_RPC_HOST, ANYCABLE_BROADCAST_ADAPTER,
// ANYCABLE_SSE, ...); the program's own address from EMBEDDED_CABLE_ADDR
// (default 127.0.0.1:8080). See docs/library.md.
//
//	ANYCABLE_PUBLIC=true ANYCABLE_NORPC=true go run ./cmd/embedded-cable
//	curl localhost:8080/                                 # the program's page
//	websocat ws://localhost:8080/cable                   # Action Cable
//	curl -d '{"stream":"s","data":"1"}' localhost:8090/_broadcast
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/densecable/densecable/cmd/server"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "embedded-cable:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := server.LoadConfig()
	if err != nil {
		return err
	}
	cable, err := server.New(cfg)
	if err != nil {
		return err
	}
	if err := cable.Start(); err != nil {
		return err
	}

	mux := http.NewServeMux()
	// The program's own route.
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "embedded-cable: WebSockets at /cable\n")
	})
	// densecable: WebSockets (moved to the event loop) and SSE when
	// enabled, each on a path of the program's choosing...
	mux.Handle("/cable", cable.WebSocketHandler())
	if cfg.SSE.Enabled {
		sse, err := cable.SSEHandler()
		if err != nil {
			return err
		}
		mux.Handle("/events", sse)
	}
	// ...and every other path the densecable command serves on its main
	// port, at its configured path: the health check, the API, HTTP
	// broadcasts when --http_broadcast_port is --port (otherwise they have
	// their own listener, as in the command).
	mux.Handle("/", cable.Handler())

	addr := os.Getenv("EMBEDDED_CABLE_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	slog.Info("embedded-cable listening", "addr", addr)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			_ = cable.Shutdown(context.Background())
			return err
		}
	}
	// densecable first: its clients hear server_restart and reconnect
	// elsewhere; then the program's own requests finish.
	sctx, cancel := context.WithTimeout(context.Background(), time.Duration(cfg.Shutdown.Timeout)*time.Second)
	defer cancel()
	_ = cable.Shutdown(sctx)
	return srv.Shutdown(sctx)
}
