package longpoll

import (
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/internal/deadline"
	"github.com/densecable/densecable/sessions"
)

// Poll is one long-poll session's transport: the output waiting for the
// client's next request, and that request while it is held.
type Poll struct {
	deadline.Slot
	srv    *Server
	id     string // X-Anycable-Poll-ID: random, never the (client-chosen) sid
	remote string
	sess   *sessions.Session

	recv sync.Mutex // serializes Session.Receive

	// An idle session keeps all of this as long as it lives: the fields
	// are few and small (pollSize).
	mu      sync.Mutex
	buf     []byte // JSONL lines waiting for a request; bounded by Options.MaxBuffer
	held    Responder
	flushAt int64 // Unix ns; 0 = no output waiting for a held request
	// until is the held request's end (--poll_interval) while one is
	// held, else the session's end (keep-alive): Unix ns.
	until  int64
	status int16 // 0 = open; else the HTTP status of the session's last response
	queued bool  // a broadcast batch was gathered since the last Flush
	gone   bool  // Session.OnClose was called
	// authed: the session passed authentication (Authenticated). Until
	// then output waits, so that a rejection's message leaves with its
	// 401 (Close) and never alone with a 200.
	authed bool
}

// pollSize is Poll's bound (an allocator size class): poll_test.go fails
// when a field pushes it into the next one.
const pollSize = 144

// errTooSlow is the "output buffer full" error the core recognises.
type tooSlow struct{}

func (tooSlow) Error() string { return "long-poll buffer full" }
func (tooSlow) TooSlow() bool { return true }

var errTooSlow error = tooSlow{}

var errClosed = errors.New("long-poll session closed")

// Write implements sessions.Transport.
func (p *Poll) Write(frame []byte) error {
	p.mu.Lock()
	err := p.appendLocked(frame, false)
	p.mu.Unlock()
	return err
}

// Queue implements sessions.Transport: the same buffer; first reports
// whether this batch had gathered nothing before.
func (p *Poll) Queue(frame []byte) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	first := !p.queued
	p.queued = true
	return first, p.appendLocked(frame, false)
}

// Flush implements sessions.Transport (the buffer is the output: there is
// nothing to write until a request takes it).
func (p *Poll) Flush() error {
	p.mu.Lock()
	p.queued = false
	p.mu.Unlock()
	return nil
}

func (p *Poll) appendLocked(frame []byte, force bool) error {
	if p.status != 0 {
		return errClosed
	}
	if !force && len(p.buf)+len(frame) > p.srv.opts.MaxBuffer {
		return errTooSlow
	}
	p.buf = append(p.buf, frame...)
	p.armLocked()
	return nil
}

// armLocked starts the flush interval for output waiting for a held
// request, once the session is authenticated.
func (p *Poll) armLocked() {
	if p.authed && p.held != nil && p.flushAt == 0 && len(p.buf) > 0 {
		p.flushAt = time.Now().Add(p.srv.opts.FlushInterval).UnixNano()
		p.schedule()
	}
}

// Authenticated implements sessions.Authenticated: the welcome is in the
// buffer; it goes out after the flush interval like any output.
func (p *Poll) Authenticated() {
	p.mu.Lock()
	p.authed = true
	p.armLocked()
	p.mu.Unlock()
}

// Close implements sessions.Transport: code is httpProtocol's status.
func (p *Poll) Close(code uint16, _ string) { p.end(nil, int(code)) }

// CloseWith implements sessions.Transport: last passes the buffer bound.
func (p *Poll) CloseWith(last []byte, code uint16, _ string) { p.end(last, int(code)) }

// end closes the session: the held request (if any) gets the output at
// once, otherwise the next request does; the core cleans up now.
func (p *Poll) end(last []byte, status int) {
	p.mu.Lock()
	if p.status != 0 {
		p.mu.Unlock()
		return
	}
	if last != nil {
		_ = p.appendLocked(last, true)
	}
	if status == 0 {
		status = http.StatusOK
	}
	p.status = int16(status)
	if p.held != nil {
		p.flushAt = 1 // now; answering it starts the keep-alive
	} else {
		p.until = time.Now().Add(p.srv.opts.KeepaliveTimeout).UnixNano()
	}
	p.schedule()
	gone := p.gone
	p.gone = true
	p.mu.Unlock()
	if !gone {
		p.sess.OnClose()
	}
}

// RemoteIP implements sessions.Transport.
func (p *Poll) RemoteIP() string { return p.remote }

// Framer implements sessions.Transport.
func (p *Poll) Framer() frames.Framer { return framer }

// schedule puts the poll in the server's queue at its next deadline.
func (p *Poll) schedule() {
	next := p.until
	if p.held != nil {
		if p.flushAt != 0 && p.flushAt < next {
			next = p.flushAt
		}
	}
	p.srv.clock.Set(p, time.Unix(0, next))
}

// takeLocked detaches the held request and the output it answers with.
func (p *Poll) takeLocked(now time.Time) (Responder, response) {
	r := p.held
	res := response{status: http.StatusOK, body: p.buf}
	if p.status != 0 {
		res.status = int(p.status)
	}
	if res.status != http.StatusUnauthorized {
		res.pollID = p.id
	}
	p.held, p.buf, p.flushAt = nil, nil, 0
	p.until = now.Add(p.srv.opts.KeepaliveTimeout).UnixNano()
	return r, res
}

// Pingless implements sessions.Pingless: a poll is answered at least every
// --poll_interval, which tells the client the server is alive; pings would
// only turn an idle session's held request into a request per ping.
func (p *Poll) Pingless() bool { return true }

// receive hands one command to the session unless it has ended.
func (p *Poll) receive(line []byte) {
	p.mu.Lock()
	open := p.status == 0
	p.mu.Unlock()
	if open {
		p.sess.Receive(line)
	}
}
