package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/densecable/densecable/cmd/config"
)

// Server is densecable embedded in another Go program: every component
// the densecable command runs (RPC client, broker, pub/sub, broadcasters,
// separate API and metrics listeners) except the main listener, whose
// connections come from the program's own net/http server through
// WebSocketHandler, SSEHandler or Handler.
type Server struct {
	a   *app
	cfg *config.Config
	log *slog.Logger

	streams sseStreams // SSE served on the request's goroutine (ssestream.go)

	mu      sync.Mutex
	started bool
	stopped bool
}

// Option configures New.
type Option func(*options)

type options struct{ log *slog.Logger }

// WithLogger makes the server log to l instead of a logger built from the
// configuration's log level and format on standard output.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// LoadConfig reads the configuration as the densecable command does from
// its environment: ANYCABLE_* variables and the TOML file they or the
// defaults point to, without command-line flags.
func LoadConfig() (*config.Config, error) {
	cfg, _, err := config.Parse(nil, os.Getenv, io.Discard)
	return cfg, err
}

// New builds a server from cfg (LoadConfig's, or config.Default() changed
// in code); nil means LoadConfig(). Nothing is started: see Start and Run.
// The main listener settings (host, port, ssl_cert/ssl_key) do not apply:
// the embedding program's http.Server owns the socket and its TLS.
func New(cfg *config.Config, opts ...Option) (*Server, error) {
	if cfg == nil {
		c, err := LoadConfig()
		if err != nil {
			return nil, err
		}
		cfg = c
	}
	var o options
	for _, f := range opts {
		f(&o)
	}
	log := o.log
	if log == nil {
		log = newLogger(os.Stdout, cfg.Logging.Level, cfg.Logging.Format).With("nodeid", cfg.NodeID)
	}
	for _, w := range cfg.Warnings {
		log.Warn(w)
	}
	a, err := buildApp(cfg, log, true)
	if err != nil {
		return nil, err
	}
	return &Server{a: a, cfg: cfg, log: log}, nil
}

// Start starts every component and returns; the handlers serve from then
// on (before, they answer 503). A failed Start stops what had started.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.stopped {
		return errors.New("server: already started")
	}
	if err := s.a.start(); err != nil {
		s.a.stop(context.Background())
		s.stopped = true
		return err
	}
	s.started = true
	return nil
}

// Run starts the server, serves until ctx is done, then shuts down within
// the configured --shutdown_timeout.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Start(); err != nil {
		return err
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), time.Duration(s.cfg.Shutdown.Timeout)*time.Second)
	defer cancel()
	return s.Shutdown(sctx)
}

// Shutdown stops as the densecable command does on SIGTERM: clients are
// told (Action Cable's disconnect with reason server_restart and
// reconnect true), pending Disconnect calls flushed within ctx, then
// broadcasters, pub/sub and RPC stop. Connections the handlers receive
// afterwards are closed.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return nil
	}
	s.stopped = true
	s.mu.Unlock()
	s.a.stop(ctx)
	return ctx.Err()
}

func (s *Server) running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.started && !s.stopped
}

// WebSocketHandler serves WebSocket connections (Action Cable and every
// other protocol densecable speaks on --path) wherever the program mounts
// it. The request is served as if it had arrived at the first --path, so
// the mount path is free.
func (s *Server) WebSocketHandler() http.Handler {
	path := "/cable"
	if len(s.cfg.Server.Path) > 0 {
		path = s.cfg.Server.Path[0]
	}
	return s.adopter(func(*http.Request) string { return path }, true, false)
}

// SSEHandler serves Server-Sent Events (--sse) wherever the program mounts
// it, as if at --sse_path. It is an error when SSE is off.
func (s *Server) SSEHandler() (http.Handler, error) {
	if !s.cfg.SSE.Enabled {
		return nil, errors.New("server: SSE is disabled (--sse / ANYCABLE_SSE)")
	}
	path := s.cfg.SSE.Path
	return s.adopter(func(*http.Request) string { return path }, false, true), nil
}

// Handler serves every path the densecable command serves on its main
// port, by the request's own path: WebSocket paths, SSE, long polling,
// the health check, HTTP broadcasts and the API when they share the main
// port. Mount it on a prefix-less pattern ("/cable", "/health", ...) or
// as a catch-all.
func (s *Server) Handler() http.Handler {
	return s.adopter(func(r *http.Request) string { return r.URL.EscapedPath() }, false, false)
}

// adopter is the net/http side of adoption: the request head is rebuilt
// (with path as its target), the connection hijacked and handed to the
// poller with whatever net/http had already read after the head. From
// there densecable serves it as a connection of its own listener: a plain
// TCP socket on the event loop, anything else (TLS) on a goroutine. A
// request that cannot be hijacked (HTTP/2) is refused, but for SSE (sse,
// or Handler at --sse_path): that is served on the request's goroutine.
func (s *Server) adopter(path func(*http.Request) string, ws, sse bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.running() {
			http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
			return
		}
		hj, ok := w.(http.Hijacker)
		if r.ProtoMajor != 1 || !ok {
			if p := path(r); s.a.sse != nil && (sse || p == s.cfg.SSE.Path) {
				s.serveSSEStream(w, r, p)
				return
			}
			notAdoptable(w, r, ws)
			return
		}
		head := requestHead(r, path(r))
		nc, rw, err := hj.Hijack()
		if err != nil {
			s.log.Debug("hijack failed", "remote", r.RemoteAddr, "error", err)
			return
		}
		if n := rw.Reader.Buffered(); n > 0 {
			rest, _ := rw.Reader.Peek(n)
			head = append(head, rest...)
		}
		if err := s.a.ws.Adopt(nc, head); err != nil {
			s.log.Debug("connection not adopted", "remote", r.RemoteAddr, "error", err)
		}
	})
}

// notAdoptable answers a request whose connection cannot be taken over:
// HTTP/2 (and HTTP/3) multiplex streams on one connection, which cannot be
// hijacked. A WebSocket request gets what anycable-go's handler answers a
// request that is not an upgrade; anything else 505.
func notAdoptable(w http.ResponseWriter, r *http.Request, ws bool) {
	if ws {
		w.Header().Set("Sec-Websocket-Version", "13")
		http.Error(w, http.StatusText(http.StatusBadRequest), http.StatusBadRequest)
		return
	}
	http.Error(w, fmt.Sprintf("densecable serves HTTP/1.1 only, not %s", r.Proto), http.StatusHTTPVersionNotSupported)
}

// requestHead rebuilds the HTTP/1.1 head net/http parsed, with target's
// path: header values net/http accepted hold no CR or LF, so the result
// parses back to the same request. Its size is bounded by the poller's
// head limit like any client's.
func requestHead(r *http.Request, path string) []byte {
	var b bytes.Buffer
	b.WriteString(r.Method)
	b.WriteByte(' ')
	b.WriteString(path)
	if r.URL.RawQuery != "" {
		b.WriteByte('?')
		b.WriteString(r.URL.RawQuery)
	}
	b.WriteString(" HTTP/1.1\r\nHost: ")
	b.WriteString(r.Host)
	b.WriteString("\r\n")
	for k, vs := range r.Header {
		for _, v := range vs {
			b.WriteString(k)
			b.WriteString(": ")
			b.WriteString(v)
			b.WriteString("\r\n")
		}
	}
	if len(r.TransferEncoding) > 0 {
		// net/http moves it out of Header; the body bytes still follow.
		b.WriteString("Transfer-Encoding: " + strings.Join(r.TransferEncoding, ", ") + "\r\n")
	}
	b.WriteString("\r\n")
	return b.Bytes()
}
