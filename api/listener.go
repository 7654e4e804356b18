package api

import (
	"errors"
	"log/slog"
	"net"
	"sync"
	"syscall"
	"time"
)

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
