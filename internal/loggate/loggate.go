// Package loggate keeps lines whose number clients or outages drive from
// flooding the log: one line of a kind per second, with a count of the rest.
package loggate

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// Gate lets one line of a kind through per second and counts the rest.
// Lines whose number clients drive (one per failed RPC call during an
// application outage) would otherwise flood the log: the first line of each
// second tells the operator, "suppressed" says how many more there were.
type Gate struct {
	last       atomic.Int64 // unix nanoseconds of the last line let through
	suppressed atomic.Int64
}

// Log writes the line at level unless a line of this gate went out less than
// a second ago.
func (g *Gate) Log(l *slog.Logger, level slog.Level, msg string, args ...any) {
	g.LogAt(time.Now(), l, level, msg, args...)
}

// LogAt is Log at time t (tests).
func (g *Gate) LogAt(t time.Time, l *slog.Logger, level slog.Level, msg string, args ...any) {
	now := t.UnixNano()
	last := g.last.Load()
	if now-last < int64(time.Second) || !g.last.CompareAndSwap(last, now) {
		g.suppressed.Add(1)
		return
	}
	if n := g.suppressed.Swap(0); n > 0 {
		args = append(args, "suppressed", n)
	}
	l.Log(context.Background(), level, msg, args...)
}
