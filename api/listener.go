package api

import (
	"errors"
	"log/slog"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
)

// HTTPTimeouts bound what a client of an HTTP listener can hold: a request
// that never completes (a head trickled byte by byte: slowloris), a response
// it never reads, a keep-alive connection it never uses.
type HTTPTimeouts struct {
	// Read bounds reading one request, head and body, from its first byte
	// (fasthttp's ReadTimeout: a trickled head does not restart it).
	Read time.Duration
	// Write bounds writing one response.
	Write time.Duration
	// Idle bounds the wait for the next request on a keep-alive connection.
	Idle time.Duration
}

// DefaultHTTPTimeouts are the bounds of every densecable HTTP listener
// (docs/limits.md): 10 s for a request, 10 s for a response, 60 s idle.
var DefaultHTTPTimeouts = HTTPTimeouts{Read: 10 * time.Second, Write: 10 * time.Second, Idle: 60 * time.Second}

// NewHTTPServer is the fasthttp server of an HTTP listener (broadcast, REST
// API, metrics, and plain requests on the main port) with the timeouts t. A
// request head is also bounded in size by fasthttp's 4 KiB read buffer (431
// above) and a body by fasthttp's 4 MiB default.
func NewHTTPServer(h fasthttp.RequestHandler, t HTTPTimeouts) *fasthttp.Server {
	return &fasthttp.Server{
		Handler:               h,
		Name:                  "densecable",
		ReadTimeout:           t.Read,
		WriteTimeout:          t.Write,
		IdleTimeout:           t.Idle,
		NoDefaultServerHeader: true,
	}
}

// RetryListener keeps an HTTP listener alive through accept errors that
// pass (the open-file limit above all): fasthttp treats them as permanent
// and would stop serving for good. It backs off up to a second and logs at
// most once a second.
type RetryListener struct {
	net.Listener
	Log *slog.Logger

	mu      sync.Mutex
	lastLog time.Time
}

// Accept retries temporary failures.
func (l *RetryListener) Accept() (net.Conn, error) {
	delay := 5 * time.Millisecond
	for {
		c, err := l.Listener.Accept()
		if err == nil || !retryable(err) {
			return c, err
		}
		l.mu.Lock()
		if time.Since(l.lastLog) >= time.Second {
			l.lastLog = time.Now()
			l.Log.Warn("accept failed, retrying", "error", err)
		}
		l.mu.Unlock()
		time.Sleep(delay)
		if delay < time.Second {
			delay *= 2
		}
	}
}

func retryable(err error) bool {
	if errors.Is(err, net.ErrClosed) {
		return false
	}
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.ENOMEM)
}
