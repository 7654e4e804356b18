package loggate

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestLogGateOneLinePerSecondWithSuppressedCount(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, nil))
	var g Gate
	t0 := time.Unix(1000, 0)
	for i := 0; i < 100; i++ {
		g.LogAt(t0.Add(time.Duration(i)*time.Millisecond), l, slog.LevelError, "RPC Connect failed", "sid", "x")
	}
	if n := strings.Count(buf.String(), "RPC Connect failed"); n != 1 {
		t.Fatalf("lines in the first second = %d, want 1:\n%s", n, buf.String())
	}
	if strings.Contains(buf.String(), "suppressed") {
		t.Fatalf("first line must not carry a suppressed count:\n%s", buf.String())
	}
	buf.Reset()
	g.LogAt(t0.Add(1100*time.Millisecond), l, slog.LevelError, "RPC Connect failed", "sid", "y")
	if !strings.Contains(buf.String(), "suppressed=99") {
		t.Fatalf("second line should report 99 suppressed:\n%s", buf.String())
	}
}
