package brokertest

import (
	"context"
	"log/slog"
	"sync"
)

// Logs is a slog.Handler that keeps every record's message, so tests can
// check what was logged and how often.
type Logs struct {
	mu   sync.Mutex
	msgs []string
}

// NewLogger returns a logger writing to a fresh Logs (all levels).
func NewLogger() (*slog.Logger, *Logs) {
	l := &Logs{}
	return slog.New(l), l
}

// Count returns how many records had exactly this message.
func (l *Logs) Count(msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, m := range l.msgs {
		if m == msg {
			n++
		}
	}
	return n
}

func (l *Logs) Enabled(context.Context, slog.Level) bool { return true }

func (l *Logs) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.msgs = append(l.msgs, r.Message)
	l.mu.Unlock()
	return nil
}

func (l *Logs) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *Logs) WithGroup(string) slog.Handler      { return l }
