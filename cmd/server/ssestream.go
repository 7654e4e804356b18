package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/poller"
	"github.com/densecable/densecable/sessions/sse"
)

// SSE on the request's own goroutine: an HTTP/2 stream (or any request
// whose connection cannot be hijacked) cannot move to the event loop, so
// sessions/sse is served through the http.ResponseWriter instead. The
// session's writes (its worker, broadcasts, the pinger) must not block:
// they append to a bounded buffer, and the request's goroutine, the only
// one allowed to touch the ResponseWriter, writes it out. sessions/sse
// renders its response head as HTTP/1.1 bytes (the event loop's path
// writes them as they are); the first bytes here are that head, turned
// into the ResponseWriter's status and headers, so sessions/sse and the
// epoll path stay as they are.

// errStreamClosed is returned by writes after the stream ended.
var errStreamClosed = errors.New("sse stream closed")

// streamConn is sse.Conn over an http.ResponseWriter.
type streamConn struct {
	remote     string
	maxPending int // ws_max_pending_size; 0: unbounded
	wake       chan struct{}

	mu      sync.Mutex
	buf     []byte // output not yet handed to the ResponseWriter
	queued  bool   // Queue gathered since the last Flush
	closing bool   // Close/CloseWith/Respond: write buf, then end
	done    bool   // the goroutine left: writes are dropped
}

func newStreamConn(r *http.Request, maxPending int) *streamConn {
	remote := r.RemoteAddr
	if host, _, err := net.SplitHostPort(remote); err == nil {
		remote = host
	}
	return &streamConn{remote: remote, maxPending: maxPending, wake: make(chan struct{}, 1)}
}

func (c *streamConn) RemoteIP() string { return c.remote }

func (c *streamConn) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// add appends b to the pending output; force (a last frame) passes the
// bound, as the event loop's CloseWith does.
func (c *streamConn) add(b []byte, force bool) error {
	if c.done || c.closing {
		return errStreamClosed
	}
	if !force && c.maxPending > 0 && len(c.buf) > 0 && len(c.buf)+len(b) > c.maxPending {
		return poller.ErrTooSlow // the core cuts the client off (too_slow)
	}
	c.buf = append(c.buf, b...)
	return nil
}

func (c *streamConn) Write(b []byte) error {
	c.mu.Lock()
	err := c.add(b, false)
	c.mu.Unlock()
	if err == nil {
		c.signal()
	}
	return err
}

func (c *streamConn) Queue(b []byte) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.add(b, false); err != nil {
		return false, err
	}
	first := !c.queued
	c.queued = true
	return first, nil
}

// QueueFrames queues each frame (the request's goroutine writes them).
func (c *streamConn) QueueFrames(fs [][]byte) (first bool, err error) {
	for i, f := range fs {
		q, err := c.Queue(f)
		if i == 0 {
			first = q
		}
		if err != nil {
			return first, err
		}
	}
	return first, nil
}

func (c *streamConn) Flush() error {
	c.mu.Lock()
	c.queued = false
	done := c.done
	c.mu.Unlock()
	c.signal()
	if done {
		return errStreamClosed
	}
	return nil
}

func (c *streamConn) Close(uint16, string) { c.CloseWith(nil, 0, "") }

func (c *streamConn) CloseWith(last []byte, _ uint16, _ string) {
	c.mu.Lock()
	if last != nil {
		_ = c.add(last, true)
	}
	c.closing = true
	c.mu.Unlock()
	c.signal()
}

// Respond renders a complete answer as the event loop would; serve turns
// it into the ResponseWriter's.
func (c *streamConn) Respond(status int, headers []frames.Header, body []byte) bool {
	b := frames.AppendResponseHead(nil, status, headers)
	b = b[:len(b)-2]
	b = append(b, "Content-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\r\n\r\n"...)
	c.CloseWith(append(b, body...), 0, "")
	return true
}

// serve writes the output until the stream closes, the client leaves
// (ctx) or a write fails or passes writeTimeout, then tells closer (nil:
// nobody) once. It runs on the request's goroutine.
func (c *streamConn) serve(ctx context.Context, w http.ResponseWriter, closer sse.Closer, writeTimeout time.Duration, log *slog.Logger) {
	rc := http.NewResponseController(w)
	headDone := false
	var spare []byte
	for {
		c.mu.Lock()
		out := c.buf
		c.buf = spare[:0]
		closing := c.closing
		c.mu.Unlock()
		if len(out) > 0 {
			body := out
			if !headDone {
				var ok bool
				if body, ok = writeHead(w, out); !ok {
					log.Error("sse stream: malformed response head")
					break
				}
				headDone = true
			}
			if writeTimeout > 0 {
				_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout))
			}
			_, err := w.Write(body)
			if err == nil {
				err = rc.Flush()
			}
			if err != nil {
				log.Debug("sse stream: write failed", "remote", c.remote, "error", err)
				break
			}
		}
		spare = out
		if closing {
			break
		}
		select {
		case <-c.wake:
		case <-ctx.Done():
			closing = true
		}
		if closing {
			break
		}
	}
	c.mu.Lock()
	c.done = true
	c.buf = nil
	c.mu.Unlock()
	if closer != nil {
		closer.OnClose()
	}
}

// writeHead sets the status and headers of the HTTP/1.1 head that starts
// out (sessions/sse's own rendering, not client input) and returns what
// follows it. Connection is HTTP/1.1's only: net/http manages it.
func writeHead(w http.ResponseWriter, out []byte) ([]byte, bool) {
	head, body, ok := bytes.Cut(out, []byte("\r\n\r\n"))
	if !ok {
		return nil, false
	}
	line, fields, _ := bytes.Cut(head, []byte("\r\n"))
	if len(line) < len("HTTP/1.1 200") {
		return nil, false
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return nil, false
	}
	h := w.Header()
	for len(fields) > 0 {
		var f []byte
		f, fields, _ = bytes.Cut(fields, []byte("\r\n"))
		k, v, ok := strings.Cut(string(f), ": ")
		if !ok {
			return nil, false
		}
		if !strings.EqualFold(k, "Connection") {
			h.Add(k, v)
		}
	}
	w.WriteHeader(status)
	return body, true
}

// streamRequest is what the event loop's head parser makes of r: the
// shape sessions see whatever the transport.
func streamRequest(r *http.Request, path string) *frames.Request {
	req := &frames.Request{URI: path, Host: r.Host}
	if r.URL.RawQuery != "" {
		req.URI += "?" + r.URL.RawQuery
	}
	req.Headers = make([]frames.Header, 0, len(r.Header))
	for k, vs := range r.Header {
		k = strings.ToLower(k)
		for _, v := range vs {
			req.Headers = append(req.Headers, frames.Header{Key: k, Value: v})
		}
	}
	return req
}

// sseStreams counts the SSE requests served on their own goroutine, for
// --max_conn.
type sseStreams struct{ active atomic.Int64 }

// serveSSEStream serves an SSE request whose connection cannot be
// hijacked (HTTP/2) on its own goroutine, as if at path.
func (s *Server) serveSSEStream(w http.ResponseWriter, r *http.Request, path string) {
	if max := s.cfg.Server.MaxConn; max > 0 && s.streams.active.Load() >= int64(max) {
		s.log.Debug("sse stream refused: max_conn reached", "remote", r.RemoteAddr)
		http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
		return
	}
	s.streams.active.Add(1)
	defer s.streams.active.Add(-1)
	var body []byte
	if r.Body != nil && r.Method == http.MethodPost {
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, sse.MaxBodySize))
		if err != nil {
			s.log.Debug("sse stream: request body", "remote", r.RemoteAddr, "error", err)
			http.Error(w, http.StatusText(http.StatusRequestEntityTooLarge), http.StatusRequestEntityTooLarge)
			return
		}
		body = b
	}
	c := newStreamConn(r, int(s.cfg.WS.MaxPendingSize))
	closer := s.a.sse.Serve(c, r.Method, streamRequest(r, path), body)
	c.serve(r.Context(), w, closer, time.Duration(s.cfg.WS.WriteTimeout)*time.Second, s.log)
}
