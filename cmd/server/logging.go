package server

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
)

// newLogger builds the process logger: anycable-go's text layout
// ("2024-10-07 17:52:37.139 INF message key=value") or JSON.
func newLogger(w io.Writer, level, format string) *slog.Logger {
	var lvl slog.Level
	switch strings.ToLower(level) {
	case "debug":
		lvl = slog.LevelDebug
	case "warn", "warning":
		lvl = slog.LevelWarn
	case "error":
		lvl = slog.LevelError
	default:
		lvl = slog.LevelInfo
	}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: lvl}))
	}
	return slog.New(&textHandler{w: w, level: lvl, mu: &sync.Mutex{}})
}

type textHandler struct {
	w      io.Writer
	level  slog.Level
	mu     *sync.Mutex
	prefix string // pre-rendered attrs from With
	group  string
}

func (h *textHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *textHandler) Handle(_ context.Context, r slog.Record) error {
	buf := make([]byte, 0, 256)
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	buf = t.AppendFormat(buf, "2006-01-02 15:04:05.000")
	buf = append(buf, ' ')
	switch {
	case r.Level >= slog.LevelError:
		buf = append(buf, "ERR"...)
	case r.Level >= slog.LevelWarn:
		buf = append(buf, "WRN"...)
	case r.Level >= slog.LevelInfo:
		buf = append(buf, "INF"...)
	default:
		buf = append(buf, "DBG"...)
	}
	if r.Message != "" {
		// The metrics log line has no message: its attributes follow the level.
		buf = append(buf, ' ')
		buf = append(buf, r.Message...)
	}
	r.Attrs(func(a slog.Attr) bool {
		buf = appendAttr(buf, h.group, a)
		return true
	})
	buf = append(buf, h.prefix...)
	buf = append(buf, '\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := h.w.Write(buf)
	return err
}

func appendAttr(buf []byte, group string, a slog.Attr) []byte {
	if a.Equal(slog.Attr{}) {
		return buf
	}
	key := a.Key
	if group != "" {
		key = group + "." + key
	}
	if a.Value.Kind() == slog.KindGroup {
		for _, ga := range a.Value.Group() {
			buf = appendAttr(buf, key, ga)
		}
		return buf
	}
	buf = append(buf, ' ')
	buf = append(buf, key...)
	buf = append(buf, '=')
	v := a.Value.Resolve().String()
	if v == "" || strings.ContainsAny(v, " \"=\n\t") {
		buf = strconv.AppendQuote(buf, v)
	} else {
		buf = append(buf, v...)
	}
	return buf
}

func (h *textHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	buf := []byte(h.prefix)
	for _, a := range attrs {
		buf = appendAttr(buf, h.group, a)
	}
	c.prefix = string(buf)
	return &c
}

func (h *textHandler) WithGroup(name string) slog.Handler {
	c := *h
	if c.group != "" {
		c.group += "." + name
	} else {
		c.group = name
	}
	return &c
}
