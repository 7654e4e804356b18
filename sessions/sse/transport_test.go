package sse

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// fakeStream records what a Transport writes.
type fakeStream struct {
	mu     sync.Mutex
	writes []string
	queued []string
	log    []string // every Write and Queue, in order
	closed int
	last   string
}

func (f *fakeStream) Write(b []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes = append(f.writes, string(b))
	f.log = append(f.log, string(b))
	return nil
}

func (f *fakeStream) Queue(b []byte) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queued = append(f.queued, string(b))
	f.log = append(f.log, string(b))
	return len(f.queued) == 1, nil
}
func (f *fakeStream) QueueFrames(fs [][]byte) (bool, error) {
	first := false
	for i, b := range fs {
		q, _ := f.Queue(b)
		first = first || i == 0 && q
	}
	return first, nil
}
func (f *fakeStream) Flush() error         { return nil }
func (f *fakeStream) Close(uint16, string) { f.CloseWith(nil, 0, "") }
func (f *fakeStream) CloseWith(last []byte, _ uint16, _ string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed++
	f.last = string(last)
}
func (f *fakeStream) RemoteIP() string { return "127.0.0.1" }

func newTestTransport(raw bool, want, max int) (*Transport, *fakeStream) {
	out := &fakeStream{}
	return newTransport(out, newPending(raw, want, &heads{lines: []byte("X: y\r\n")}, "*", max)), out
}

// head is what heads renders for the test transport.
func head(status int) string {
	if status == 200 {
		return "HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: *\r\nX: y\r\n\r\n"
	}
	return fmt.Sprintf("HTTP/1.1 %d %s\r\nAccess-Control-Allow-Origin: *\r\nX: y\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", status, http.StatusText(status))
}

const (
	welcome = "event: welcome\ndata: {}\n\n"
	confirm = "event: confirm_subscription\ndata: {}\n\n"
	reject  = "event: reject_subscription\ndata: {}\n\n"
	ping    = "event: ping\ndata: {}\n\n"
)

func TestTransportStartsAfterEverySubscription(t *testing.T) {
	tr, out := newTestTransport(false, 2, 1<<20)
	for _, f := range []string{welcome, confirm} {
		if err := tr.Write([]byte(f)); err != nil {
			t.Fatal(err)
		}
	}
	// A broadcast that arrives before the response is kept in order.
	if first, err := tr.Queue([]byte("data: early\n\n")); first || err != nil {
		t.Fatalf("queue before start: %v %v", first, err)
	}
	_ = tr.Write([]byte(confirm))
	if len(out.writes) != 0 {
		t.Fatalf("wrote before the status was known: %q", out.writes)
	}
	_ = tr.Write(readyMarker)
	want := head(200) + welcome + confirm + "data: early\n\n" + confirm
	if got := strings.Join(out.log, ""); len(out.writes) != 0 || got != want {
		t.Fatalf("start: %q, want one flush of %q", out.log, want)
	}
	_ = tr.Write([]byte(ping))
	_, _ = tr.Queue([]byte("data: live\n\n"))
	_ = tr.Write(readyMarker)
	if got := strings.Join(out.log, ""); got != want+ping+"data: live\n\n" {
		t.Fatalf("after start: %q", got)
	}
	tr.CloseWith([]byte("event: disconnect\n\n"), 503, "")
	if out.closed != 1 || out.last != "event: disconnect\n\n" {
		t.Fatalf("close: %d %q", out.closed, out.last)
	}
}

func TestTransportStatuses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		frames []string
		close  uint16
		want   string
	}{
		{"rejected subscription: 400", []string{welcome, reject}, 0, head(400)},
		{"a subscription unanswered (RPC error): 400", []string{welcome, string(readyMarker)}, 0, head(400)},
		{"connection refused: the protocol's 401", []string{"event: disconnect\ndata: {}\n\n"}, 401, head(401)},
		{"shutdown before the start: 503", []string{welcome}, 503, head(503)},
		{"a code that is no status: 400", nil, 1000, head(400)},
	} {
		tr, out := newTestTransport(false, 1, 1<<20)
		for _, f := range tc.frames {
			_ = tr.Write([]byte(f))
		}
		if tc.close != 0 {
			tr.Close(tc.close, "")
		}
		_ = tr.Write([]byte("data: after\n\n"))
		if len(out.writes) != 1 || out.writes[0] != tc.want || out.closed != 1 {
			t.Errorf("%s: writes %q closed %d, want %q and one close", tc.name, out.writes, out.closed, tc.want)
		}
	}
}

func TestTransportRaw(t *testing.T) {
	tr, out := newTestTransport(true, 1, 1<<20)
	for _, f := range []string{welcome, confirm, "data: kept\n\n", string(readyMarker), ping, "data: live\n\n"} {
		_ = tr.Write([]byte(f))
	}
	if got := strings.Join(out.log, ""); got != head(200)+"data: kept\n\ndata: live\n\n" {
		t.Fatalf("raw: %q", got)
	}
	tr.CloseWith([]byte("event: disconnect\n\n"), 0, "")
	if out.last != "" {
		t.Fatalf("raw stream got a typed last event %q", out.last)
	}
}

func TestTransportBacklogBounded(t *testing.T) {
	tr, out := newTestTransport(false, 1, 64)
	if err := tr.Write([]byte(strings.Repeat("x", 60))); err != nil {
		t.Fatal(err)
	}
	err := tr.Write([]byte(strings.Repeat("y", 10)))
	var slow interface{ TooSlow() bool }
	if !errors.As(err, &slow) || !slow.TooSlow() {
		t.Fatalf("past the bound: %v, want a TooSlow error", err)
	}
	if len(out.writes) != 0 {
		t.Fatalf("wrote %q", out.writes)
	}
}
