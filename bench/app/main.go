// Command densecable-benchapp is the benchmark RPC application: it serves
// websocket-bench's BenchmarkChannel (and a tiny chat demo for any other
// channel) over gRPC and HTTP RPC, and broadcasts through the real-time
// server's HTTP broadcast endpoint.
//
//	densecable-benchapp --grpc 127.0.0.1:50051 --http 127.0.0.1:50052 \
//	    --broadcast_url http://127.0.0.1:8090/_broadcast
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"

	"github.com/densecable/densecable/bench/internal/benchapp"
	"github.com/densecable/densecable/rpcclient/rpcpb"
)

type options struct {
	grpcAddr, httpAddr string
	httpSecret         string
	pub                benchapp.PublisherConfig
	logLevel           string
}

func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("densecable-benchapp", flag.ContinueOnError)
	fs.StringVar(&o.grpcAddr, "grpc", "127.0.0.1:50051", "gRPC listen address (empty: no gRPC)")
	fs.StringVar(&o.httpAddr, "http", "127.0.0.1:50052", "HTTP RPC listen address (empty: no HTTP RPC)")
	fs.StringVar(&o.httpSecret, "http_secret", "", "require 'Authorization: Bearer <secret>' on HTTP RPC")
	fs.StringVar(&o.pub.URL, "broadcast_url", "http://127.0.0.1:8090/_broadcast", "server HTTP broadcast endpoint")
	fs.StringVar(&o.pub.Key, "broadcast_key", "", "broadcast key (Authorization: Bearer)")
	mode := fs.String("broadcast_mode", "sync", "sync: broadcastResult after the server accepted the broadcast (websocket-bench semantics); async: bounded queue, batched POSTs")
	fs.IntVar(&o.pub.Workers, "broadcast_workers", 4, "async broadcast workers")
	fs.IntVar(&o.pub.QueueSize, "broadcast_queue", 4096, "async broadcast queue bound (Publish blocks when full; nothing is dropped)")
	fs.DurationVar(&o.pub.Timeout, "broadcast_timeout", 5*time.Second, "broadcast POST timeout")
	fs.StringVar(&o.logLevel, "log_level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	switch *mode {
	case "sync":
	case "async":
		o.pub.Async = true
	default:
		return nil, fmt.Errorf("--broadcast_mode must be sync or async, not %q", *mode)
	}
	if o.grpcAddr == "" && o.httpAddr == "" {
		return nil, errors.New("nothing to serve: both --grpc and --http are empty")
	}
	return o, nil
}

func main() {
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		fmt.Fprintln(os.Stderr, "bad --log_level:", err)
		os.Exit(2)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, log); err != nil {
		log.Error("benchapp failed", "err", err)
		os.Exit(1)
	}
}

// run serves until ctx ends, then stops both servers and flushes broadcasts.
func run(ctx context.Context, o *options, log *slog.Logger) error {
	pub := benchapp.NewHTTPPublisher(o.pub, log)
	defer pub.Close()
	app := benchapp.New(pub, log)
	errc := make(chan error, 2)

	if o.grpcAddr != "" {
		ln, err := net.Listen("tcp", o.grpcAddr)
		if err != nil {
			return fmt.Errorf("gRPC listen: %w", err)
		}
		srv := grpc.NewServer(
			grpc.NumStreamWorkers(uint32(max(2, 2*numCPU()))),
			// anycable-go (and densecable) ping every 10 s even when idle;
			// grpc-go's default policy answers that with GOAWAY
			// "too_many_pings", forcing a redial that fails when the server
			// sits at its open-file limit.
			grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true}),
		)
		rpcpb.RegisterRPCServer(srv, &benchapp.GRPC{App: app})
		go func() { errc <- srv.Serve(ln) }()
		defer srv.GracefulStop()
		log.Info("gRPC RPC listening", "addr", ln.Addr().String())
	}
	if o.httpAddr != "" {
		ln, err := net.Listen("tcp", o.httpAddr)
		if err != nil {
			return fmt.Errorf("HTTP RPC listen: %w", err)
		}
		srv := &http.Server{Handler: app.HTTPHandler(o.httpSecret), ReadHeaderTimeout: 5 * time.Second}
		go func() { errc <- srv.Serve(ln) }()
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		}()
		log.Info("HTTP RPC listening", "addr", ln.Addr().String())
	}
	log.Info("broadcasting", "url", o.pub.URL, "async", o.pub.Async)

	select {
	case <-ctx.Done():
		log.Info("shutting down")
		return nil
	case err := <-errc:
		return fmt.Errorf("server stopped: %w", err)
	}
}
