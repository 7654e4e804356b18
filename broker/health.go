package broker

import (
	"log/slog"
	"sync/atomic"
)

// Health is a component's report on the dependency it needs (Redis, NATS):
// unhealthy after its reconnect attempts ran out (max_reconnect_attempts),
// healthy again when it reconnects. The server keeps running either way;
// /health and the metrics read it. The zero value, and a nil *Health, are
// healthy.
type Health struct{ down atomic.Bool }

// Healthy reports the last state set.
func (h *Health) Healthy() bool { return h == nil || !h.down.Load() }

// Set records the state.
func (h *Health) Set(healthy bool) {
	if h != nil {
		h.down.Store(!healthy)
	}
}

// HealthReporter is implemented by broadcasters, brokers and pub/subs whose
// dependency can go away.
type HealthReporter interface {
	Healthy() bool
}

// Logger is how a component takes its logger: logger, or one that discards
// when it is nil, with the attributes every line of the component carries
// (anycable-go's "context" and "provider").
func Logger(logger *slog.Logger, attrs ...any) *slog.Logger {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if len(attrs) == 0 {
		return logger
	}
	return logger.With(attrs...)
}
