package sse

import (
	"bytes"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/densecable/densecable/frames"
)

// Stream is the held HTTP response underneath a Transport: a *poller.Conn
// (writes never block; Close ends the response and the socket once the
// output is written).
type Stream interface {
	Write(b []byte) error
	Queue(b []byte) (first bool, err error)
	Flush() error
	Close(code uint16, reason string)
	CloseWith(last []byte, code uint16, reason string)
	RemoteIP() string
}

// readyMarker is what the Protocol renders for the pong that answers the
// handler's closing ping: every subscribe command before it has run. It is
// an SSE comment, in case it ever reached a client.
var readyMarker = []byte(": ready\n\n")

// errTooMuchBeforeStart is returned when output waiting for the response
// status passes the bound; the core then cuts the client off (TooSlow).
type errTooMuchBeforeStart struct{}

func (errTooMuchBeforeStart) Error() string { return "sse: too much output before the response" }
func (errTooMuchBeforeStart) TooSlow() bool { return true }

// Transport is an SSE session's sessions.Transport. The response's status
// depends on what the core decides (a refused connection is 401, a
// rejected subscription 400), so until every subscribe command has been
// answered the output is kept (welcome, confirmations, history, early
// broadcasts: bounded by maxBacklog); then the 200 head and the kept
// events go out in one write, or the error status and the socket closes.
// After that, events go straight to the Stream; raw mode drops the typed
// ones.
type Transport struct {
	out        Stream
	raw        bool
	want       int // subscriptions to confirm before the head goes out
	maxBacklog int

	started atomic.Bool // the 200 head is out: write straight through

	mu        sync.Mutex // until started (and for the decision)
	heads     *heads     // the handler's, shared
	origin    string     // Access-Control-Allow-Origin ("": none)
	backlog   [][]byte
	backBytes int
	confirmed int
	failed    bool
}

func newTransport(out Stream, raw bool, want int, h *heads, origin string, maxBacklog int) *Transport {
	return &Transport{out: out, raw: raw, want: want, heads: h, origin: origin, maxBacklog: maxBacklog}
}

// Framer: events are complete when rendered; the transport adds nothing.
func (t *Transport) Framer() frames.Framer { return framer }

func (t *Transport) RemoteIP() string { return t.out.RemoteIP() }

func (t *Transport) Write(frame []byte) error {
	if t.started.Load() {
		return t.send(frame)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.started.Load() {
		return t.send(frame)
	}
	return t.keep(frame)
}

func (t *Transport) Queue(frame []byte) (bool, error) {
	if t.started.Load() {
		if t.drop(frame) {
			return false, nil
		}
		return t.out.Queue(frame)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.started.Load() {
		if t.drop(frame) {
			return false, nil
		}
		return t.out.Queue(frame)
	}
	return false, t.keep(frame)
}

func (t *Transport) Flush() error { return t.out.Flush() }

func (t *Transport) Close(code uint16, reason string) { t.CloseWith(nil, code, reason) }

// CloseWith ends the stream after last (a disconnect event); before the
// response started, the request gets the status code (Protocol.CloseFor)
// instead.
func (t *Transport) CloseWith(last []byte, code uint16, reason string) {
	if !t.started.Load() {
		t.mu.Lock()
		if !t.started.Load() {
			t.fail(int(code))
			t.mu.Unlock()
			return
		}
		t.mu.Unlock()
	}
	if last != nil && t.drop(last) {
		last = nil
	}
	t.out.CloseWith(last, code, reason)
}

// send writes an event once the response is out.
func (t *Transport) send(frame []byte) error {
	if t.drop(frame) {
		return nil
	}
	return t.out.Write(frame)
}

// drop: the ready marker never reaches a client, nor do typed events in
// raw mode.
func (t *Transport) drop(frame []byte) bool {
	return bytes.Equal(frame, readyMarker) || t.raw && bytes.HasPrefix(frame, eventPrefix)
}

var (
	eventPrefix = []byte("event: ")
	confirmSub  = []byte("event: confirm_subscription\n")
	rejectSub   = []byte("event: reject_subscription\n")
)

// keep holds output until the status is known and decides it (mu held).
func (t *Transport) keep(frame []byte) error {
	if t.failed {
		return nil
	}
	switch {
	case bytes.Equal(frame, readyMarker):
		if t.confirmed >= t.want {
			t.start()
		} else {
			t.fail(http.StatusBadRequest) // a subscribe went unanswered (RPC error)
		}
		return nil
	case bytes.HasPrefix(frame, rejectSub):
		t.fail(http.StatusBadRequest)
		return nil
	case bytes.HasPrefix(frame, confirmSub):
		t.confirmed++
	}
	if t.backBytes+len(frame) > t.maxBacklog {
		return errTooMuchBeforeStart{}
	}
	t.backlog = append(t.backlog, frame)
	t.backBytes += len(frame)
	return nil
}

// start writes the 200 head and the kept events in one write (mu held).
func (t *Transport) start() {
	buf := t.heads.append(make([]byte, 0, 768+t.backBytes), http.StatusOK, t.origin)
	for _, f := range t.backlog {
		if !t.drop(f) {
			buf = append(buf, f...)
		}
	}
	t.backlog, t.backBytes, t.heads, t.origin = nil, 0, nil, ""
	_ = t.out.Write(buf) // a failure closes the socket: OnClose follows
	t.started.Store(true)
}

// fail answers status instead and closes (mu held); the socket's close
// reaches the session as its OnClose.
func (t *Transport) fail(status int) {
	if t.failed {
		return
	}
	t.failed = true
	if status < 400 || status > 599 {
		status = http.StatusBadRequest
	}
	head := t.heads.append(nil, status, t.origin)
	t.backlog, t.backBytes, t.heads, t.origin = nil, 0, nil, ""
	_ = t.out.Write(head)
	t.out.Close(0, "")
}

// framer passes rendered events through: the Encoder makes them whole.
var framer = &passFramer{}

type passFramer struct{}

func (*passFramer) AppendFrame(dst, payload []byte, _ bool) []byte { return append(dst, payload...) }
func (*passFramer) FrameSize(n int) int                            { return n }
