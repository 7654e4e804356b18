package embeddednats

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
)

// slogBridge carries the server's log lines to slog. Its notices (every
// route and gateway connection) go to debug, its warnings and errors to
// warn and error. The server calls
// Fatalf for errors it cannot recover from (a port in use) and expects the
// process to exit; the bridge keeps the first such error so that Start can
// return it instead.
type slogBridge struct {
	log *slog.Logger

	mu    sync.Mutex
	fatal error
}

func (b *slogBridge) Noticef(format string, v ...any) { b.emit(slog.LevelDebug, format, v) }
func (b *slogBridge) Warnf(format string, v ...any)   { b.emit(slog.LevelWarn, format, v) }
func (b *slogBridge) Errorf(format string, v ...any)  { b.emit(slog.LevelError, format, v) }
func (b *slogBridge) Debugf(format string, v ...any)  { b.emit(slog.LevelDebug, format, v) }

// Tracef is protocol tracing (enats_trace): debug level, marked as trace.
func (b *slogBridge) Tracef(format string, v ...any) {
	if b.log.Enabled(context.Background(), slog.LevelDebug) {
		b.log.Debug(fmt.Sprintf(format, v...), "trace", true)
	}
}

func (b *slogBridge) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	b.mu.Lock()
	if b.fatal == nil {
		b.fatal = fmt.Errorf("%s", msg)
	}
	b.mu.Unlock()
	b.log.Error(msg)
}

func (b *slogBridge) fatalErr() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.fatal
}

func (b *slogBridge) emit(level slog.Level, format string, v []any) {
	if b.log.Enabled(context.Background(), level) {
		b.log.Log(context.Background(), level, fmt.Sprintf(format, v...))
	}
}
