package embeddednats

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/densecable/densecable/broker"
)

// readyTimeout bounds the wait for the client port.
const readyTimeout = 10 * time.Second

// Server is an embedded NATS server.
type Server struct {
	opts Options
	so   *server.Options
	log  *slog.Logger

	mu      sync.Mutex
	srv     *server.Server
	tempDir string // store dir created here, removed on shutdown
}

// New validates the options; nothing listens before Start.
func New(opts Options, logger *slog.Logger) (*Server, error) {
	so, err := opts.serverOptions()
	if err != nil {
		return nil, fmt.Errorf("embedded NATS: %w", err)
	}
	if opts.JetStreamReadyTimeout <= 0 {
		opts.JetStreamReadyTimeout = DefaultJetStreamReadyTimeout
	}
	return &Server{opts: opts, so: so, log: broker.Logger(logger, "context", "enats")}, nil
}

// Name is the server name (generated when not configured).
func (s *Server) Name() string { return s.so.ServerName }

// ClientURL is the URL for clients (the broker, pub/sub, broadcasters) to
// connect to this server.
func (s *Server) ClientURL() string { return clientURL(s.so.Host, s.so.Port) }

// Start runs the server and returns once it accepts clients. With
// JetStream, it then waits up to the ready timeout for JetStream to be
// usable; a cluster that has no quorum yet only gets a warning (its
// members may still be starting, and the broker retries).
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return errors.New("embedded NATS: already started")
	}
	so := *s.so
	if so.JetStream && so.StoreDir == "" {
		dir, err := os.MkdirTemp("", "densecable-nats-"+so.ServerName+"-")
		if err != nil {
			return fmt.Errorf("embedded NATS: JetStream store directory: %w", err)
		}
		so.StoreDir, s.tempDir = dir, dir
	}
	srv, err := server.NewServer(&so)
	if err != nil {
		s.removeTemp()
		return fmt.Errorf("embedded NATS: %w", err)
	}
	bridge := &slogBridge{log: s.log}
	srv.SetLoggerV2(bridge, so.Debug, so.Trace, false)
	srv.Start()
	if err := waitReady(srv, bridge); err != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
		s.removeTemp()
		return fmt.Errorf("embedded NATS: %w", err)
	}
	s.srv = srv
	s.log.Info("Embedded NATS server started", "url", s.ClientURL(), "name", so.ServerName,
		"cluster", s.opts.ClusterAddr, "cluster_name", so.Cluster.Name, "routes", len(so.Routes),
		"gateway", s.opts.GatewayAddr, "jetstream", so.JetStream, "store_dir", so.StoreDir)
	if so.JetStream {
		wctx, cancel := context.WithTimeout(ctx, s.opts.JetStreamReadyTimeout)
		defer cancel()
		if err := waitJetStream(wctx, srv); err != nil {
			s.log.Warn("JetStream is not ready yet (does the cluster have a quorum?)", "error", err)
		}
	}
	return nil
}

// waitReady waits for the listeners, or for the fatal error (a busy port)
// that stops them from coming up.
func waitReady(srv *server.Server, bridge *slogBridge) error {
	deadline := time.Now().Add(readyTimeout)
	for time.Now().Before(deadline) {
		if srv.ReadyForConnections(25 * time.Millisecond) {
			return nil
		}
		if err := bridge.fatalErr(); err != nil {
			return err
		}
	}
	return fmt.Errorf("not ready for connections after %s", readyTimeout)
}

// waitJetStream waits until JetStream serves requests: at once on a single
// server, once the meta group has a leader in a cluster.
func waitJetStream(ctx context.Context, srv *server.Server) error {
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		if srv.JetStreamEnabled() && srv.JetStreamIsCurrent() {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("JetStream is not current: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

// WaitJetStream waits until JetStream is usable or ctx is done.
func (s *Server) WaitJetStream(ctx context.Context) error {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv == nil {
		return errors.New("embedded NATS: not started")
	}
	if !s.so.JetStream {
		return errors.New("embedded NATS: JetStream is off")
	}
	return waitJetStream(ctx, srv)
}

// Shutdown stops the server (closing client, route and gateway
// connections) and waits for it, or for ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	done := make(chan struct{})
	go func() {
		srv.Shutdown()
		srv.WaitForShutdown()
		close(done)
	}()
	select {
	case <-done:
		s.removeTemp()
		s.log.Info("Embedded NATS server stopped")
		return nil
	case <-ctx.Done():
		return fmt.Errorf("embedded NATS shutdown: %w", ctx.Err())
	}
}

func (s *Server) removeTemp() {
	if s.tempDir == "" {
		return
	}
	if err := os.RemoveAll(filepath.Clean(s.tempDir)); err != nil {
		s.log.Warn("failed to remove the JetStream store directory", "dir", s.tempDir, "error", err)
	}
	s.tempDir = ""
}
