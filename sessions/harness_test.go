package sessions

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/densecable/densecable/fanout"
	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/rpcclient/rpcpb"
	"github.com/densecable/densecable/sessions/actioncable"
	"github.com/densecable/densecable/sessions/protocol"
)

// fakeConn is a fake Transport: it records what a session writes.
type fakeConn struct {
	// recv gets OnClose when the connection closes, as from the poller.
	recv   interface{ OnClose() }
	mu     sync.Mutex
	msgs   []sentFrame
	closed bool
	code   uint16
	reason string
	// onWrite, when set, sees each payload as it is written (before it is
	// recorded), on the writer's goroutine.
	onWrite func(payload string)
}

type sentFrame struct {
	op      ws.OpCode
	payload string
	at      time.Time
}

func (c *fakeConn) Write(frame []byte) error {
	f, err := ws.ReadFrame(bytes.NewReader(frame))
	if err != nil {
		panic(err)
	}
	if c.onWrite != nil {
		c.onWrite(string(f.Payload))
	}
	c.mu.Lock()
	c.msgs = append(c.msgs, sentFrame{op: f.Header.OpCode, payload: string(f.Payload), at: time.Now()})
	c.mu.Unlock()
	return nil
}

func (c *fakeConn) Close(code uint16, reason string) {
	c.mu.Lock()
	first := !c.closed
	if first {
		c.closed, c.code, c.reason = true, code, reason
	}
	recv := c.recv
	c.mu.Unlock()
	if first && recv != nil {
		recv.OnClose()
	}
}

func (c *fakeConn) CloseWith(last []byte, code uint16, reason string) {
	_ = c.Write(last)
	c.Close(code, reason)
}

func (c *fakeConn) Queue(frame []byte) (bool, error) { return true, c.Write(frame) }
func (c *fakeConn) Flush() error                     { return nil }
func (c *fakeConn) RemoteIP() string                 { return "127.0.0.1" }
func (c *fakeConn) Framer() frames.Framer            { return frames.WebSocketFramer() }

// sent returns a copy of the frames written so far.
func (c *fakeConn) sent() []sentFrame {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]sentFrame(nil), c.msgs...)
}

func (c *fakeConn) closeInfo() (bool, uint16, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed, c.code, c.reason
}

// find returns the first frame whose payload has the prefix.
func (c *fakeConn) find(prefix string) (sentFrame, bool) {
	for _, f := range c.sent() {
		if strings.HasPrefix(f.payload, prefix) {
			return f, true
		}
	}
	return sentFrame{}, false
}

func (c *fakeConn) count(prefix string) int {
	n := 0
	for _, f := range c.sent() {
		if strings.HasPrefix(f.payload, prefix) {
			n++
		}
	}
	return n
}

// okAuth accepts every connection without RPC.
type okAuth struct{}

func (okAuth) Authenticate(string, *frames.Request) AuthResult {
	return AuthResult{Outcome: AuthOK, Identifiers: `{"user":"t"}`}
}

// fakeRPC accepts every connection; Disconnect calls are counted and wait
// for gate when it is set.
type fakeRPC struct {
	gate        chan struct{}
	disconnects atomic.Int64
	inFlight    atomic.Int64
}

func (r *fakeRPC) Connect(context.Context, string, *rpcpb.ConnectionRequest) (*rpcpb.ConnectionResponse, error) {
	return &rpcpb.ConnectionResponse{Status: rpcpb.Status_SUCCESS, Identifiers: `{"user":"r"}`}, nil
}

func (r *fakeRPC) Command(context.Context, string, *rpcpb.CommandMessage) (*rpcpb.CommandResponse, error) {
	return &rpcpb.CommandResponse{Status: rpcpb.Status_SUCCESS}, nil
}

func (r *fakeRPC) Disconnect(context.Context, string, *rpcpb.DisconnectRequest) (*rpcpb.DisconnectResponse, error) {
	r.inFlight.Add(1)
	if r.gate != nil {
		<-r.gate
	}
	r.inFlight.Add(-1)
	r.disconnects.Add(1)
	return &rpcpb.DisconnectResponse{Status: rpcpb.Status_SUCCESS}, nil
}

// logRecorder keeps every log record (all levels).
type logRecorder struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.recs = append(h.recs, r.Clone())
	h.mu.Unlock()
	return nil
}
func (h *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logRecorder) WithGroup(string) slog.Handler      { return h }

// lines returns the messages logged at level containing substr.
func (h *logRecorder) lines(level slog.Level, substr string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, r := range h.recs {
		if r.Level == level && strings.Contains(r.Message, substr) {
			out = append(out, r.Message)
		}
	}
	return out
}

// newTestNode starts a node on an in-process hub; it is shut down when the
// test ends.
func newTestNode(t *testing.T, opts Options, deps Deps) (*Node, *logRecorder) {
	t.Helper()
	rec := &logRecorder{}
	log := slog.New(rec)
	if deps.Hub == nil {
		deps.Hub = fanout.New(fanout.Options{}, log)
	}
	n := NewNode(opts, deps, log)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		n.Shutdown(ctx)
	})
	return n, rec
}

// connect opens an Action Cable JSON session for uri (with optional
// header pairs).
func connect(n *Node, uri string, headers ...string) (*Session, *fakeConn) {
	return connectWith(n, actioncable.Default(), uri, headers...)
}

// connectWith opens a session speaking p over a fake transport.
func connectWith(n *Node, p protocol.Protocol, uri string, headers ...string) (*Session, *fakeConn) {
	c := &fakeConn{}
	req := &frames.Request{URI: uri, Host: "localhost"}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Headers = append(req.Headers, frames.Header{Key: strings.ToLower(headers[i]), Value: headers[i+1]})
	}
	s := n.NewSession(c, p, req)
	c.mu.Lock()
	c.recv = s
	closed := c.closed
	c.mu.Unlock()
	if closed {
		// Closed before we could tell it (rejected at connect).
		s.OnClose()
	}
	return s, c
}

// waitFor polls cond until it holds; the bound is for loaded machines, not
// a timing assertion.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// welcomed waits until the session got its welcome and returns it.
func welcomed(t *testing.T, c *fakeConn) sentFrame {
	t.Helper()
	var w sentFrame
	waitFor(t, "welcome", func() bool {
		var ok bool
		w, ok = c.find(`{"type":"welcome"`)
		return ok
	})
	return w
}

// blockSession occupies the session's worker until the returned func is
// called, so that its commands queue up.
func blockSession(t *testing.T, s *Session) (release func()) {
	t.Helper()
	started := make(chan struct{})
	gate := make(chan struct{})
	s.push(task{kind: taskTest, hook: func() {
		close(started)
		<-gate
	}})
	select {
	case <-started:
	case <-time.After(15 * time.Second):
		t.Fatal("session worker never started the blocking task")
	}
	var once sync.Once
	return func() { once.Do(func() { close(gate) }) }
}
