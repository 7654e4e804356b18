package durablestreams

import (
	"bytes"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/fanout"
	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/internal/deadline"
)

// hubIdentifier is the channel identifier readers subscribe under: fanout
// encodes a publication once per (identifier, format) and every reader of
// a stream shares the frame.
const hubIdentifier = "ds"

// reader is one held Durable Streams request: a fanout.Subscriber while it
// waits live, a deadline (204, SSE TTL, cleanup) in the server's clock.
type reader struct {
	deadline.Slot
	srv   *Server
	c     Conn
	p     *params
	head  bool
	extra []frames.Header

	mu         sync.Mutex
	busy       bool          // read() runs; it cleans up when it ends
	done       bool          // answered or closed: nothing more is written
	subscribed bool          // in the hub
	live       bool          // catch-up done: live frames go out
	first      []byte        // long-poll: a live frame that came during catch-up
	pending    [][]byte      // SSE: live frames that came during catch-up
	next       string        // long-poll: the offset a 204 reports
	gauge      *atomic.Int64 // the live-clients gauge this reader counts in
	released   bool
}

// answer completes the request (once).
func (r *reader) answer(status int, h []frames.Header, body []byte) {
	r.mu.Lock()
	if r.done {
		r.mu.Unlock()
		return
	}
	r.done = true
	r.mu.Unlock()
	r.c.Respond(status, append(append([]frames.Header(nil), r.extra...), h...), body)
}

func (r *reader) subscribe() bool {
	r.mu.Lock()
	if r.done {
		r.mu.Unlock()
		return false
	}
	r.subscribed = true
	r.mu.Unlock()
	r.srv.deps.Hub.Subscribe(r, r.p.stream, hubIdentifier)
	return true
}

// idle ends read(): a reader that is done by now is cleaned up here.
func (r *reader) idle() {
	r.mu.Lock()
	r.busy = false
	done := r.done
	r.mu.Unlock()
	if done {
		r.cleanup()
	}
}

// cleanup leaves the hub, the clock and the server (once). Never under a
// hub lock: it runs on read's goroutine or the clock's.
func (r *reader) cleanup() {
	r.mu.Lock()
	if r.released {
		r.mu.Unlock()
		return
	}
	r.released = true
	sub, g := r.subscribed, r.gauge
	r.mu.Unlock()
	if sub {
		r.srv.deps.Hub.Unsubscribe(r, r.p.stream, hubIdentifier)
	}
	if g != nil {
		g.Add(-1)
	}
	r.srv.clock.Remove(r)
	r.srv.mu.Lock()
	delete(r.srv.readers, r)
	r.srv.mu.Unlock()
}

// later hands the cleanup to the clock goroutine (callers may hold a hub
// lock).
func (r *reader) later() { r.srv.clock.Set(r, time.Now()) }

// startPoll waits for the next publication (or answers with one that came
// during the catch-up); 204 after --ds_poll_interval.
func (r *reader) startPoll(next string) {
	s := r.srv
	s.stats.PollRequests.Add(1)
	r.mu.Lock()
	if r.done {
		r.mu.Unlock()
		return
	}
	r.next = next
	for _, f := range r.pending {
		if newer(frameOffset(f), next) {
			r.done, r.pending = true, nil
			r.mu.Unlock()
			r.respondFrame(f)
			return
		}
	}
	r.pending = nil
	r.live = true
	r.gauge = &s.stats.PollClients
	r.gauge.Add(1)
	r.mu.Unlock()
	s.clock.Set(r, time.Now().Add(s.opts.PollInterval))
}

// respondFrame answers a long-poll with one live frame ("<offset>\n<body>").
func (r *reader) respondFrame(f []byte) {
	i := bytes.IndexByte(f, '\n')
	if i < 0 {
		r.c.Respond(http.StatusInternalServerError, r.extra, nil)
		return
	}
	h := append(append([]frames.Header(nil), r.extra...), r.srv.dataHeaders(string(f[:i]), r.p.cursor)...)
	h[len(r.extra)+1].Value = "no-store" // a live answer is not a cacheable catch-up
	r.c.Respond(http.StatusOK, h, f[i+1:])
}

var sseHeaders = []frames.Header{
	{Key: "Content-Type", Value: "text/event-stream"},
	{Key: "Cache-Control", Value: "private, no-cache, no-store, must-revalidate, max-age=0"},
	{Key: "X-Content-Type-Options", Value: "nosniff"},
	{Key: "X-Accel-Buffering", Value: "no"},
	{Key: "Connection", Value: "close"}, // the body ends when the connection does
}

// startSSE writes the head and the catch-up (a data event when there is
// history, always a control event), then the live frames that came
// meanwhile and are newer, and goes live until --ds_sse_ttl.
func (r *reader) startSSE(batch []broker.Publication, next string) {
	s := r.srv
	s.stats.SSERequests.Add(1)
	h := append(append([]frames.Header(nil), r.extra...), sseHeaders...)
	out := frames.AppendResponseHead(nil, http.StatusOK, h)
	cursor := nextCursor(time.Now(), r.p.cursor)
	if len(batch) > 0 {
		out = appendSSE(out, appendBatch(nil, batch), next, cursor)
	} else {
		out = appendControl(out, next, cursor)
	}
	r.mu.Lock()
	if r.done {
		r.mu.Unlock()
		return
	}
	err := r.c.Write(out)
	r.next = next
	for _, f := range r.pending {
		if off := frameOffset(f); err == nil && newer(off, r.next) {
			err = r.c.Write(f)
			r.next = off
		}
	}
	r.pending = nil
	r.live = true
	r.gauge = &s.stats.SSEClients
	r.gauge.Add(1)
	if err != nil {
		r.done = true
	}
	r.mu.Unlock()
	if err != nil {
		r.c.Close(0, "")
		return
	}
	s.clock.Set(r, time.Now().Add(s.opts.SSETTL))
}

// expire runs on the clock: the reader's time is up, or it is done and
// waits for its cleanup.
func (r *reader) expire() {
	r.mu.Lock()
	if r.busy {
		r.mu.Unlock()
		r.srv.clock.Set(r, time.Now().Add(r.srv.opts.Tick))
		return
	}
	if r.done {
		r.mu.Unlock()
		r.cleanup()
		return
	}
	r.done = true
	sse, next := r.p.live == liveSSE, r.next
	r.mu.Unlock()
	if sse {
		r.c.Close(0, "")
	} else {
		h := append(append([]frames.Header(nil), r.extra...),
			frames.Header{Key: "Stream-Next-Offset", Value: next},
			frames.Header{Key: "Stream-Up-To-Date", Value: "true"},
			frames.Header{Key: "Stream-Cursor", Value: nextCursor(time.Now(), r.p.cursor)})
		r.c.Respond(http.StatusNoContent, h, nil)
	}
	r.cleanup()
}

// shutdown: long-poll readers get 410 (as the reference), SSE streams end.
func (r *reader) shutdown() {
	r.mu.Lock()
	if r.done {
		r.mu.Unlock()
		return
	}
	r.done = true
	sse, busy := r.p.live == liveSSE && r.live, r.busy
	r.mu.Unlock()
	if sse {
		r.c.Close(0, "")
	} else {
		r.c.Respond(http.StatusGone, r.extra, nil)
	}
	if !busy {
		r.cleanup()
	}
}

// OnClose: the client left (poller.HTTPReceiver).
func (r *reader) OnClose() {
	r.mu.Lock()
	r.done = true
	r.mu.Unlock()
	r.later()
}

// ID implements fanout.Subscriber (no session: exclude_socket never matches).
func (r *reader) ID() string { return "" }

// Format implements fanout.Subscriber.
func (r *reader) Format() *fanout.Format {
	if r.p.live == liveSSE {
		return r.srv.sse
	}
	return r.srv.poll
}

// Send implements fanout.Subscriber.
func (r *reader) Send(f []byte) {
	if r.Queue(f) {
		r.Flush()
	}
}

// Queue implements fanout.Subscriber; it runs under a hub lock.
func (r *reader) Queue(f []byte) bool {
	if len(f) == 0 {
		return false // not a history publication (see liveEncoder)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return false
	}
	if !r.live {
		if len(r.pending) >= r.srv.opts.MaxPendingEvents {
			r.srv.log.Debug("durable stream reader too slow during catch-up", "stream", r.p.stream)
			r.done = true
			r.c.Close(0, "")
			r.later()
			return false
		}
		r.pending = append(r.pending, f)
		return false
	}
	// A publication delivered after the catch-up read it (the hub delivers
	// asynchronously) is not sent twice.
	off := frameOffset(f)
	if !newer(off, r.next) {
		return false
	}
	r.next = off
	if r.p.live != liveSSE {
		r.done = true
		r.respondFrame(f) // a non-blocking write
		r.later()
		return false
	}
	first, err := r.c.Queue(f)
	if err != nil {
		r.srv.log.Debug("durable stream reader too slow", "stream", r.p.stream)
		r.done = true
		r.c.Close(0, "")
		r.later()
		return false
	}
	return first
}

// Flush implements fanout.Subscriber.
func (r *reader) Flush() {
	if err := r.c.Flush(); err != nil {
		r.mu.Lock()
		r.done = true
		r.mu.Unlock()
		r.c.Close(0, "")
		r.later()
	}
}

// frameOffset reads the offset out of a live frame: a long-poll frame
// starts with it, an SSE frame has it in its control event.
func frameOffset(f []byte) string {
	if i := bytes.IndexByte(f, '\n'); i > 0 && f[0] != 'e' {
		return string(f[:i])
	}
	const key = `"streamNextOffset":"`
	i := bytes.Index(f, []byte(key))
	if i < 0 {
		return ""
	}
	rest := f[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return string(rest[:j])
}

// newer reports whether offset token a comes after token b (b from the
// catch-up; another epoch counts as newer).
func newer(a, b string) bool {
	pa, err := parseOffset(a)
	if err != nil {
		return false
	}
	pb, err := parseOffset(b)
	if err != nil || pb.start || pb.now || pb.epoch != pa.epoch {
		return true
	}
	return pa.offset > pb.offset
}
