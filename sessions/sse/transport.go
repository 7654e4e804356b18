package sse

import (
	"bytes"
	"net/http"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/poller"
)

// Stream is the held HTTP response underneath a Transport: a *poller.Conn
// (writes never block; Close ends the response and the socket once the
// output is written).
type Stream interface {
	Write(b []byte) error
	Queue(b []byte) (first bool, err error)
	// QueueFrames queues several frames and keeps fs.
	QueueFrames(fs [][]byte) (first bool, err error)
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

// Transport is an SSE session's sessions.Transport over any Stream (an
// HTTP/2 response in an embedding server, tests); on the event loop the
// session's transport is the connection itself (ConnTransport). The
// response's status depends on what the core decides (a refused
// connection is 401, a rejected subscription 400), so until every
// subscribe command has been answered the output is kept (welcome,
// confirmations, history, early broadcasts: bounded by maxBacklog); then
// the 200 head and the kept events go out in one write, or the error
// status and the socket closes. After that, events go straight to the
// Stream; raw mode drops the typed ones.
//
// Once decided, the phase points to one of the shared phases below and the
// pending state is garbage.
type Transport struct {
	out   Stream
	phase atomic.Pointer[pending]
}

// transportSize is Transport's bound (an allocator size class):
// transport_test.go fails when a field pushes it into the next one.
const transportSize = 24

// The phases after the decision, shared by every stream.
var (
	streaming    = &pending{}          // the 200 head is out: write straight through
	streamingRaw = &pending{raw: true} // the same, typed events dropped (?raw)
	failed       = &pending{}          // the error status is out: the socket is closing
)

// pending is a Transport's state until the response's status is known;
// its mu orders the decision with the writes that wait for it.
type pending struct {
	mu         sync.Mutex
	raw        bool
	want       int // subscriptions to confirm before the head goes out
	confirmed  int
	maxBacklog int
	heads      *heads // the handler's, shared
	origin     string // Access-Control-Allow-Origin ("": none)
	backlog    [][]byte
	backBytes  int
}

func newTransport(out Stream, p *pending) *Transport {
	t := &Transport{out: out}
	t.phase.Store(p)
	return t
}

func newPending(raw bool, want int, h *heads, origin string, maxBacklog int) *pending {
	return &pending{raw: raw, want: want, heads: h, origin: origin, maxBacklog: maxBacklog}
}

func (t *Transport) s() stream { return stream{t.out, &t.phase} }

// Framer: events are complete when rendered; the transport adds nothing.
func (t *Transport) Framer() frames.Framer { return framer }

func (t *Transport) RemoteIP() string                          { return t.out.RemoteIP() }
func (t *Transport) Write(frame []byte) error                  { return t.s().write(frame) }
func (t *Transport) Queue(frame []byte) (bool, error)          { return t.s().queue(frame) }
func (t *Transport) Flush() error                              { return t.out.Flush() }
func (t *Transport) Close(code uint16, reason string)          { t.s().closeWith(nil, code, reason) }
func (t *Transport) CloseWith(last []byte, c uint16, r string) { t.s().closeWith(last, c, r) }

// ConnTransport is an SSE session's transport on an event-loop connection:
// the *poller.Conn itself, with the stream's phase in the Conn's held word
// (poller.Conn.HeldWord). An idle stream then costs its Conn and Session
// and nothing of its own, as a WebSocket does.
type ConnTransport poller.Conn

func newConnTransport(c *poller.Conn, p *pending) *ConnTransport {
	atomic.StorePointer(c.HeldWord(), unsafe.Pointer(p))
	return (*ConnTransport)(c)
}

func (t *ConnTransport) s() stream {
	c := (*poller.Conn)(t)
	// atomic.Pointer[pending] is one unsafe.Pointer: the word, typed.
	return stream{c, (*atomic.Pointer[pending])(unsafe.Pointer(c.HeldWord()))}
}

func (t *ConnTransport) Framer() frames.Framer                     { return framer }
func (t *ConnTransport) RemoteIP() string                          { return (*poller.Conn)(t).RemoteIP() }
func (t *ConnTransport) Write(frame []byte) error                  { return t.s().write(frame) }
func (t *ConnTransport) Queue(frame []byte) (bool, error)          { return t.s().queue(frame) }
func (t *ConnTransport) Flush() error                              { return (*poller.Conn)(t).Flush() }
func (t *ConnTransport) Close(code uint16, reason string)          { t.s().closeWith(nil, code, reason) }
func (t *ConnTransport) CloseWith(last []byte, c uint16, r string) { t.s().closeWith(last, c, r) }

// stream is the transport's logic over where its phase is kept.
type stream struct {
	out   Stream
	phase *atomic.Pointer[pending]
}

func (t stream) write(frame []byte) error {
	for {
		switch p := t.phase.Load(); p {
		case streaming, streamingRaw:
			if drop(frame, p.raw) {
				return nil
			}
			return t.out.Write(frame)
		case failed:
			return nil
		default:
			if kept, err := t.undecided(p, frame); kept {
				return err
			}
		}
	}
}

func (t stream) queue(frame []byte) (bool, error) {
	for {
		switch p := t.phase.Load(); p {
		case streaming, streamingRaw:
			if drop(frame, p.raw) {
				return false, nil
			}
			return t.out.Queue(frame)
		case failed:
			return false, nil
		default:
			if kept, err := t.undecided(p, frame); kept {
				return false, err
			}
		}
	}
}

// undecided keeps frame while p is still the phase (kept); false: the
// status was decided meanwhile, look again.
func (t stream) undecided(p *pending, frame []byte) (kept bool, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if t.phase.Load() != p {
		return false, nil
	}
	return true, t.keep(p, frame)
}

// closeWith ends the stream after last (a disconnect event); before the
// response started, the request gets the status code (Protocol.CloseFor)
// instead.
func (t stream) closeWith(last []byte, code uint16, reason string) {
	for {
		p := t.phase.Load()
		switch p {
		case failed:
			return
		case streaming, streamingRaw:
			if last != nil && drop(last, p.raw) {
				last = nil
			}
			t.out.CloseWith(last, code, reason)
			return
		}
		p.mu.Lock()
		if t.phase.Load() == p {
			t.fail(p, int(code))
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
	}
}

// drop: the ready marker never reaches a client, nor do typed events in
// raw mode.
func drop(frame []byte, raw bool) bool {
	return bytes.Equal(frame, readyMarker) || raw && bytes.HasPrefix(frame, eventPrefix)
}

var (
	eventPrefix = []byte("event: ")
	confirmSub  = []byte("event: confirm_subscription\n")
	rejectSub   = []byte("event: reject_subscription\n")
)

// keep holds output until the status is known and decides it (p.mu held,
// p the phase).
func (t stream) keep(p *pending, frame []byte) error {
	switch {
	case bytes.Equal(frame, readyMarker):
		if p.confirmed >= p.want {
			t.start(p)
		} else {
			t.fail(p, http.StatusBadRequest) // a subscribe went unanswered (RPC error)
		}
		return nil
	case bytes.HasPrefix(frame, rejectSub):
		t.fail(p, http.StatusBadRequest)
		return nil
	case bytes.HasPrefix(frame, confirmSub):
		p.confirmed++
	}
	if p.backBytes+len(frame) > p.maxBacklog {
		return errTooMuchBeforeStart{}
	}
	if p.backlog == nil {
		// Slot 0 is the head's (start); room for the welcome and a
		// confirmation, what a stream's start usually keeps.
		p.backlog = make([][]byte, 1, 3)
	}
	p.backlog = append(p.backlog, frame)
	p.backBytes += len(frame)
	return nil
}

// start sends the 200 head and the kept events in one flush (p.mu held),
// then lets writes through. Nothing is copied: the head is the handler's
// shared rendering for the usual origin and the events are the shared
// frames, so a stream's start leaves no buffer behind for the GC.
func (t stream) start(p *pending) {
	// The backlog's slot 0 is the head's; the Stream takes the slice
	// (frames a client never sees are left out in place).
	out := p.backlog[:0]
	if out == nil {
		out = make([][]byte, 0, 1)
	}
	out = append(out, p.heads.ok(p.origin))
	for _, f := range p.backlog[min(1, len(p.backlog)):] {
		if !drop(f, p.raw) {
			out = append(out, f)
		}
	}
	p.backlog = nil
	_, _ = t.out.QueueFrames(out)
	_ = t.out.Flush() // a failure closes the socket: OnClose follows
	if p.raw {
		t.phase.Store(streamingRaw)
	} else {
		t.phase.Store(streaming)
	}
}

// fail answers status instead and closes (p.mu held); the socket's close
// reaches the session as its OnClose.
func (t stream) fail(p *pending, status int) {
	t.phase.Store(failed)
	if status < 400 || status > 599 {
		status = http.StatusBadRequest
	}
	_ = t.out.Write(p.heads.append(nil, status, p.origin))
	t.out.Close(0, "")
}

// framer passes rendered events through: the Encoder makes them whole.
var framer = frames.Unframed()
