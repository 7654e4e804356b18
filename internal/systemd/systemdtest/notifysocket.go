// Package systemdtest is the systemd side of sd_notify for tests: a
// datagram socket that records every message a service sends, as systemd's
// NOTIFY_SOCKET would receive it.
package systemdtest

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var abstractSeq atomic.Uint64

// Message is one datagram: its KEY=VALUE lines and when it arrived.
type Message struct {
	At     time.Time
	Fields map[string]string
	Raw    string
}

// NotifySocket records what a service sends to it.
type NotifySocket struct {
	// Addr is the value for $NOTIFY_SOCKET.
	Addr string
	conn *net.UnixConn

	mu   sync.Mutex
	msgs []Message
	more chan struct{} // closed and replaced at every message
}

// Listen opens a socket in t's temporary directory, or in the abstract
// namespace when abstract is true; it is closed when the test ends.
func Listen(t testing.TB, abstract bool) *NotifySocket {
	t.Helper()
	name := filepath.Join(t.TempDir(), "notify.sock")
	if abstract {
		// Short and unique (an abstract name has at most 107 bytes).
		name = fmt.Sprintf("@densecable-test-%d-%d", os.Getpid(), abstractSeq.Add(1))
	}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatalf("notify socket: %v", err)
	}
	s := &NotifySocket{Addr: name, conn: conn, more: make(chan struct{})}
	go s.read()
	t.Cleanup(func() { _ = conn.Close() })
	return s
}

func (s *NotifySocket) read() {
	buf := make([]byte, 4096)
	for {
		n, _, err := s.conn.ReadFromUnix(buf)
		if err != nil {
			return
		}
		m := Message{At: time.Now(), Fields: map[string]string{}, Raw: string(buf[:n])}
		for _, line := range strings.Split(m.Raw, "\n") {
			if k, v, ok := strings.Cut(line, "="); ok {
				m.Fields[k] = v
			}
		}
		s.mu.Lock()
		s.msgs = append(s.msgs, m)
		close(s.more)
		s.more = make(chan struct{})
		s.mu.Unlock()
	}
}

// Messages returns a copy of everything received so far.
func (s *NotifySocket) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// WaitFor waits until a message from index from on satisfies ok and
// returns its index, or -1 after timeout.
func (s *NotifySocket) WaitFor(from int, timeout time.Duration, ok func(Message) bool) int {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		for i := from; i < len(s.msgs); i++ {
			if ok(s.msgs[i]) {
				s.mu.Unlock()
				return i
			}
		}
		from = max(from, len(s.msgs))
		more := s.more
		s.mu.Unlock()
		select {
		case <-more:
		case <-deadline.C:
			return -1
		}
	}
}

// Has matches a message carrying key=value.
func Has(key, value string) func(Message) bool {
	return func(m Message) bool {
		v, ok := m.Fields[key]
		return ok && v == value
	}
}

// HasKey matches a message carrying key.
func HasKey(key string) func(Message) bool {
	return func(m Message) bool {
		_, ok := m.Fields[key]
		return ok
	}
}

// Count is the number of messages received after after that satisfy ok.
func (s *NotifySocket) Count(after time.Time, ok func(Message) bool) int {
	n := 0
	for _, m := range s.Messages() {
		if m.At.After(after) && ok(m) {
			n++
		}
	}
	return n
}

// WaitCount waits until n messages received after after satisfy ok; false
// after timeout.
func (s *NotifySocket) WaitCount(after time.Time, n int, timeout time.Duration, ok func(Message) bool) bool {
	seen := 0
	return s.WaitFor(0, timeout, func(m Message) bool {
		if m.At.After(after) && ok(m) {
			seen++
		}
		return seen >= n
	}) >= 0
}
