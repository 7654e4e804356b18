// Package minicable is a deliberately simple Action Cable server (one
// goroutine per connection, gobwas/ws, a mutex-guarded stream table) used to
// test the load generator and the benchmark application without the real
// server. It speaks JSON, Msgpack and Protobuf with general-purpose
// libraries, so it is also an independent reference for those formats.
package minicable

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gobwas/ws"

	"github.com/densecable/densecable/rpcclient/rpcpb"
)

// RPC is the application the server calls (benchapp.App satisfies it).
type RPC interface {
	Connect(context.Context, *rpcpb.ConnectionRequest) *rpcpb.ConnectionResponse
	Command(context.Context, *rpcpb.CommandMessage) *rpcpb.CommandResponse
	Disconnect(context.Context, *rpcpb.DisconnectRequest) *rpcpb.DisconnectResponse
}

// Server serves /cable (WebSocket) and /_broadcast (HTTP broadcasts).
type Server struct {
	rpc          RPC
	log          *slog.Logger
	pingInterval time.Duration

	mu       sync.Mutex
	streams  map[string]map[*session]string // stream → session → identifier
	sessions map[*session]struct{}
	closed   bool
	wg       sync.WaitGroup
}

// New returns a server calling rpc; pingInterval 0 disables pings.
func New(rpc RPC, pingInterval time.Duration, log *slog.Logger) *Server {
	return &Server{
		rpc: rpc, log: log, pingInterval: pingInterval,
		streams:  map[string]map[*session]string{},
		sessions: map[*session]struct{}{},
	}
}

// Handler routes /cable and /_broadcast.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/cable", s.serveWS)
	mux.HandleFunc("POST /_broadcast", s.serveBroadcast)
	return mux
}

// Close disconnects every session and waits for their goroutines.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	for ss := range s.sessions {
		_ = ss.conn.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	var format codec = jsonCodec{}
	u := ws.HTTPUpgrader{Protocol: func(p string) bool {
		if c, ok := codecs[p]; ok {
			format = c
			return true
		}
		return false
	}}
	conn, _, _, err := u.Upgrade(r, w)
	if err != nil {
		return
	}
	ss := &session{srv: s, conn: conn, codec: format, subs: map[string][]string{}}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = conn.Close()
		return
	}
	s.sessions[ss] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		ss.serve(r)
	}()
}

func (s *Server) subscribe(ss *session, stream, identifier string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.streams[stream] == nil {
		s.streams[stream] = map[*session]string{}
	}
	s.streams[stream][ss] = identifier
}

func (s *Server) forget(ss *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, ss)
	for _, streams := range ss.subs {
		for _, st := range streams {
			delete(s.streams[st], ss)
		}
	}
}

type publication struct {
	Stream string `json:"stream"`
	Data   string `json:"data"`
}

func (s *Server) serveBroadcast(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var batch []publication
	if len(body) > 0 && body[0] == '[' {
		err = json.Unmarshal(body, &batch)
	} else {
		var one publication
		err = json.Unmarshal(body, &one)
		batch = []publication{one}
	}
	w.WriteHeader(http.StatusCreated) // like the reference: accepted even when malformed
	if err != nil {
		s.log.Warn("bad broadcast", "err", err)
		return
	}
	for _, p := range batch {
		s.publish(p.Stream, p.Data)
	}
}

// publish sends data to every subscriber of stream.
func (s *Server) publish(stream, data string) {
	var message any
	if err := json.Unmarshal([]byte(data), &message); err != nil {
		message = data
	}
	s.mu.Lock()
	targets := make([]struct {
		ss *session
		id string
	}, 0, len(s.streams[stream]))
	for ss, id := range s.streams[stream] {
		targets = append(targets, struct {
			ss *session
			id string
		}{ss, id})
	}
	s.mu.Unlock()
	for _, t := range targets {
		t.ss.send(map[string]any{"identifier": t.id, "message": message})
	}
}

// ListenAndServe serves on addr until ctx ends (a helper for tests and
// the dev command).
func (s *Server) ListenAndServe(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
		s.Close()
	}()
	err := srv.Serve(ln)
	if err == http.ErrServerClosed {
		return nil
	}
	return err
}
