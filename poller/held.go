package poller

import (
	"strconv"
	"sync"
	"time"

	"github.com/densecable/densecable/frames"
)

// HTTPHandler is an optional Handler interface (found by type assertion):
// requests it claims are "held" by the engine instead of going to fasthttp.
// The engine reads the head and the body on its own goroutine (no
// goroutine per waiting request on the epoll engine), calls ServeHeld, and
// the response is written through the same *Conn with the WebSocket write
// path (non-blocking writes, the pending queue bounded by MaxPending, the
// write timeout). A response may stream indefinitely (SSE) or be completed
// later with Finish/Respond (long polling), after which the connection
// reads the next request (keep-alive) or closes.
type HTTPHandler interface {
	// HoldHTTP reports whether the engine holds a request for method and
	// path (without query), and the largest body it accepts (a larger
	// Content-Length gets 413). path is a view of the connection's input,
	// valid only during the call, as in Handler.UpgradeOptions.
	HoldHTTP(method, path string) (maxBody int, hold bool)
	// ServeHeld runs on the reading goroutine once the body is in; it must
	// not block. It writes a response now or later (c.Write, c.Queue/Flush,
	// c.Respond) and returns who hears about the client leaving (nil: no
	// one). Closing or finishing c from inside ServeHeld is allowed.
	ServeHeld(c *Conn, req *HTTPRequest) HTTPReceiver
}

// HTTPReceiver hears about the end of a held request.
type HTTPReceiver interface {
	// OnClose runs once when the socket closes while the response is held
	// (the client left, a write failed or timed out, Close, Shutdown). It
	// does not run for a response completed with Finish.
	OnClose()
}

// Held responses: what the client can do meanwhile, and what it costs.
//
//   - The epoll engine stops reading the socket while a response is held
//     (EPOLLIN off, EPOLLRDHUP on): an idle held request costs its Conn and
//     no buffer. A client that half-closes or resets its side is gone: the
//     connection closes and OnClose runs.
//   - Bytes sent behind a held request (pipelining) are not served: the
//     connection closes once the held response is finished (RFC 9112 lets a
//     client retry pipelined requests on a new connection).
//   - Request bodies must have a Content-Length; Transfer-Encoding (chunked
//     bodies) gets 411 Length Required, a body above HoldHTTP's bound 413.
//     The body and the head must arrive within the handshake timeout.
//   - A keep-alive connection waiting for its next head is timed by the
//     handshake timeout again (counted from Finish).

// Canned answers for held requests that cannot be served.
const (
	lengthRequired = "HTTP/1.1 411 Length Required\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
	entityTooLarge = "HTTP/1.1 413 Request Entity Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
)

// holdHead starts a held request from its complete head: the body, if
// any, is read next (state stateBody). False means the client got its 4xx
// and the connection is closing.
func (e *engine) holdHead(c *Conn, head []byte, maxBody int) bool {
	req, err := parseRequestHead(head)
	switch {
	case err != nil:
		rejectHead(c, e.log, err.Error(), badRequest)
		return false
	case req.chunked:
		rejectHead(c, e.log, "held request with a chunked body", lengthRequired)
		return false
	case req.contentLength > maxBody:
		rejectHead(c, e.log, "held request body too large", entityTooLarge)
		return false
	}
	if req.contentLength < 0 {
		req.contentLength = 0
	}
	c.mu.Lock()
	c.recv = req
	c.state = stateBody
	c.mu.Unlock()
	return true
}

// A held request keeps nothing of the engine's beside its Conn: the
// request, then the receiver, are kept in Conn.recv (unused by a
// connection that is not a WebSocket), its keep-alive flags in the Conn's
// padding, and only the engines whose reader blocks (netpoll, TLS) make a
// channel per held response (Conn.resumed). An idle SSE stream or long
// poll thus costs what a WebSocket does in the engine.

// bodyLen is how many body bytes the request being read waits for (read
// side only, in stateBody).
func (c *Conn) bodyLen() int { return c.recv.(*HTTPRequest).contentLength }

// serveHeld hands a request whose body is complete to the handler. body
// may alias a read buffer. pipelined says bytes came behind the request in
// the same read: it is recorded before the handler runs, so a response
// written at once already says "Connection: close". It reports whether the
// response is still held when the handler returns (false: finished or
// closed already).
func (e *engine) serveHeld(c *Conn, body []byte, pipelined bool) bool {
	c.mu.Lock()
	req := c.recv.(*HTTPRequest)
	c.recv = nil // the request is the handler's now: kept only if it keeps it
	req.Body = body
	c.state = stateHeld
	c.heldKeepAlive = !req.Close
	c.heldCloseAtEnd = pipelined
	c.io.holdRead(c)
	c.mu.Unlock()
	recv := e.handler.(HTTPHandler).ServeHeld(c, req)
	req.Body = nil
	c.mu.Lock()
	switch {
	case c.closed:
		// Closed during ServeHeld: the close found no receiver to tell.
		c.mu.Unlock()
		if recv != nil {
			recv.OnClose()
		}
		return false
	case c.state != stateHeld:
		c.mu.Unlock()
		return false // finished already
	}
	if recv != nil {
		c.recv = recv
	}
	c.mu.Unlock()
	return true
}

// KeepAlive reports whether the held request's connection may serve
// another request after its response (the client did not ask to close).
func (c *Conn) KeepAlive() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.heldKeepAlive && !c.heldCloseAtEnd // both false on a WebSocket
}

// Finish completes a held response: the connection reads the next request
// head at once (keep-alive; output still queued leaves first all the same),
// or closes once its output is written when the client asked to close or
// sent bytes behind the held request.
// The receiver is dropped (no OnClose). False means the connection closed
// first (or was not holding a response).
func (c *Conn) Finish() bool {
	c.mu.Lock()
	if c.closed || c.closeAfter || c.state != stateHeld {
		c.mu.Unlock()
		return false
	}
	c.recv = nil // the receiver is dropped: no OnClose
	if !c.heldKeepAlive || c.heldCloseAtEnd {
		c.closeAfter = true
		flushing := c.flushing
		c.mu.Unlock()
		if !flushing {
			c.closeNow()
		}
		return true
	}
	c.state = stateHTTP
	c.partialSince.Store(time.Now().UnixNano()) // the next request's handshake clock
	c.io.resumeRead(c)
	c.mu.Unlock()
	return true
}

// Respond writes a complete response with a Content-Length (and
// "Connection: close" when the connection will close), then Finishes.
// headers are written as given.
func (c *Conn) Respond(status int, headers []frames.Header, body []byte) bool {
	closing := !c.KeepAlive()
	// The whole response in one pooled buffer, back in the pool when the
	// socket took it at once (the usual case): a long poll is answered
	// every --poll_interval, and a buffer per answer was most of the
	// garbage idle long-poll sessions make (issue 12).
	bp := answerBufs.Get().(*[]byte)
	b := frames.AppendResponseHead((*bp)[:0], status, headers)
	b = b[:len(b)-2]
	if closing {
		b = append(b, "Connection: close\r\n"...)
	}
	b = append(b, "Content-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\r\n\r\n"...)
	b = append(b, body...)
	if sent, _ := c.write(b, false); sent && cap(b) <= maxAnswerBuf {
		*bp = b
		answerBufs.Put(bp)
	} // else the connection keeps b until the socket takes it (or it was too big to pool)
	return c.Finish()
}

// answerBufs are Respond's buffers: boxed slices, so that Put allocates
// nothing. One larger than maxAnswerBuf (a poll answered with a long
// backlog) is left to the GC rather than kept.
var answerBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

const maxAnswerBuf = 16 << 10

// resumeSignal is holdRead/resumeRead for the engines whose reader blocks
// (netpoll's handler, the TLS goroutine): bytes that arrive while a
// response is held make the reader wait on Conn.resumed.
type resumeSignal struct{}

func (resumeSignal) holdRead(c *Conn)   { c.resumed = make(chan struct{}) }
func (resumeSignal) resumeRead(c *Conn) { c.signalResumed() }

// waitResumed blocks until a held response finishes (true) or the
// connection closes (false); alive is polled once a second for a close the
// engine cannot signal while this reader holds the connection.
func waitResumed(c *Conn, alive func() bool) bool {
	c.mu.Lock()
	ch := c.resumed
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return false
	}
	if ch == nil {
		return true
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ch:
			st, closed := c.readState()
			return !closed && st != stateHeld
		case <-t.C:
			if !alive() {
				return false
			}
		}
	}
}
