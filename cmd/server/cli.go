package server

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.uber.org/automaxprocs/maxprocs"

	"github.com/densecable/densecable/cmd/config"
	"github.com/densecable/densecable/internal/doctor"
)

// Main is the densecable command: it parses args (anycable-go's flags) and
// the ANYCABLE_* environment, serves until SIGINT or SIGTERM and returns
// the process exit code. cmd/densecable is only a call to it.
func Main(args []string) int {
	// A subcommand name is never a flag, so the server's flags stay
	// exactly anycable-go's.
	if len(args) > 0 && args[0] == "doctor" {
		return doctor.Main(args[1:], os.Stdout, os.Stderr, doctor.RealHost())
	}
	cfg, action, err := config.Parse(args, os.Getenv, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "densecable:", err)
		return 1
	}
	if action != config.ActionRun {
		return 0
	}
	log := newLogger(os.Stdout, cfg.Logging.Level, cfg.Logging.Format).With("nodeid", cfg.NodeID)
	if os.Getenv("GOMAXPROCS") != "0" {
		_, _ = maxprocs.Set()
	}
	setMemoryLimit(log)
	for _, w := range cfg.Warnings {
		log.Warn(w)
	}

	startProfiler(log)
	a, err := newApp(cfg, log)
	if err != nil {
		log.Error("failed to start", "error", err)
		return 1
	}
	if err := a.start(); err != nil {
		log.Error("failed to start", "error", err)
		a.stop(context.Background())
		return 1
	}

	sig := make(chan os.Signal, 2)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	// Only a signal stops the server: a Redis or NATS outage makes
	// components report unhealthy, never exit.
	<-sig
	a.notifyStopping()
	log.Info("Shutting down... (hit Ctrl-C to stop immediately or wait for up to " + fmt.Sprint(cfg.Shutdown.Timeout) + "s for graceful shutdown)")
	go func() {
		<-sig
		log.Warn("Immediate termination requested. Stopped")
		os.Exit(1)
	}()
	if d := cfg.Shutdown.Delay; d > 0 {
		time.Sleep(time.Duration(d) * time.Second)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(cfg.Shutdown.Timeout)*time.Second)
	defer cancel()
	a.stop(ctx)
	log.Info("Stopped")
	return 0
}
