package fanout

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/encoders"
	"github.com/densecable/densecable/frames"
)

// directSub is a subscriber with a transport of its own (fanout.Direct):
// it records which path each frame took.
type directSub struct {
	mu     sync.Mutex
	paths  []string
	fail   error // returned by the output's Write
	failed []error
}

func (s *directSub) ID() string { return "d" }
func (s *directSub) Format() *Format {
	return testFormats.Get(encoders.NewJSON(), frames.WebSocketFramer())
}
func (s *directSub) record(p string) {
	s.mu.Lock()
	s.paths = append(s.paths, p)
	s.mu.Unlock()
}
func (s *directSub) Send([]byte)       { s.record("send") }
func (s *directSub) Queue([]byte) bool { s.record("queue"); return true }
func (s *directSub) Flush()            {}
func (s *directSub) Output() Output    { return directOut{s} }
func (s *directSub) OutputFailed(err error) {
	s.mu.Lock()
	s.failed = append(s.failed, err)
	s.mu.Unlock()
}

type directOut struct{ s *directSub }

func (o directOut) Write([]byte) error {
	o.s.record("output")
	o.s.mu.Lock()
	defer o.s.mu.Unlock()
	return o.s.fail
}

func (s *directSub) snapshot() ([]string, []error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.paths...), append([]error(nil), s.failed...)
}

// A publication alone goes to the subscriber's Output, without Send or
// Queue; an error from it reaches OutputFailed (the session cuts the client
// off there).
func TestLonePublicationUsesOutput(t *testing.T) {
	h := New(Options{Gates: 1}, discard)
	defer h.Shutdown()
	s := &directSub{}
	h.Subscribe(s, "st", "id")
	waitFrames := func(n uint64) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for h.Stats().Frames.Load() < n {
			if time.Now().After(deadline) {
				t.Fatalf("%d frames delivered, want %d", h.Stats().Frames.Load(), n)
			}
			time.Sleep(time.Millisecond)
		}
	}
	h.Broadcast(&broker.Publication{Stream: "st", Data: `"a"`})
	waitFrames(1)
	if paths, _ := s.snapshot(); len(paths) != 1 || paths[0] != "output" {
		t.Fatalf("paths %v, want [output]", paths)
	}
	tooSlow := errors.New("too slow")
	s.mu.Lock()
	s.fail = tooSlow
	s.mu.Unlock()
	h.Broadcast(&broker.Publication{Stream: "st", Data: `"b"`})
	waitFrames(2)
	if _, failed := s.snapshot(); len(failed) != 1 || failed[0] != tooSlow {
		t.Fatalf("OutputFailed got %v", failed)
	}
}

// A subscriber without an Output (a protocol driver's session) gets a lone
// publication through Send.
func TestLonePublicationWithoutOutputUsesSend(t *testing.T) {
	h := New(Options{Gates: 1}, discard)
	defer h.Shutdown()
	s := &fakeSub{id: "f", enc: encoders.NewJSON()}
	h.Subscribe(s, "st", "id")
	h.Broadcast(&broker.Publication{Stream: "st", Data: `"a"`})
	deadline := time.Now().Add(10 * time.Second)
	for len(s.frames()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("nothing delivered")
		}
		time.Sleep(time.Millisecond)
	}
}
