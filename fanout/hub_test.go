package fanout

import (
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/encoders"
	"github.com/densecable/densecable/frames"
)

type fakeSub struct {
	id  string
	enc encoders.Encoder
	mu  sync.Mutex
	got [][]byte
}

func (s *fakeSub) ID() string                { return s.id }
func (s *fakeSub) Encoder() encoders.Encoder { return s.enc }
func (s *fakeSub) Format() *Format           { return testFormats.Get(s.enc, frames.WebSocketFramer()) }
func (s *fakeSub) Send(f []byte) {
	s.mu.Lock()
	s.got = append(s.got, f)
	s.mu.Unlock()
}
func (s *fakeSub) Queue(f []byte) bool { s.Send(f); return false }
func (s *fakeSub) Flush()              {}
func (s *fakeSub) frames() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.got...)
}

func newHub() *Hub { return New(Options{Gates: 4}, slog.New(slog.NewTextHandler(io.Discard, nil))) }

func TestBroadcastEncodesOncePerIdentifierAndEncoder(t *testing.T) {
	h := newHub()
	json, mp := encoders.NewJSON(), encoders.NewMsgpack()
	a := &fakeSub{id: "a", enc: json}
	b := &fakeSub{id: "b", enc: json}
	c := &fakeSub{id: "c", enc: mp}
	d := &fakeSub{id: "d", enc: json}
	for _, s := range []*fakeSub{a, b, c} {
		h.Subscribe(s, "room", "id1")
	}
	h.Subscribe(d, "room", "id2")
	h.Broadcast(&broker.Publication{Stream: "room", Data: `{"x":1}`})
	h.Shutdown()

	fa, fb, fc, fd := a.frames(), b.frames(), c.frames(), d.frames()
	if len(fa) != 1 || len(fb) != 1 || len(fc) != 1 || len(fd) != 1 {
		t.Fatalf("deliveries: %d %d %d %d", len(fa), len(fb), len(fc), len(fd))
	}
	// Same identifier and encoder: the very same bytes (one encoding).
	if &fa[0][0] != &fb[0][0] {
		t.Fatal("subscribers with the same identifier and encoder must share one frame")
	}
	if &fa[0][0] == &fc[0][0] || &fa[0][0] == &fd[0][0] {
		t.Fatal("another encoder or identifier needs its own frame")
	}
	if got := string(fa[0][2:]); got != `{"identifier":"id1","message":{"x":1}}` {
		t.Fatalf("payload %s", got)
	}
	if fc[0][0] != 0x82 {
		t.Fatalf("msgpack subscribers get binary frames, got opcode byte %x", fc[0][0])
	}
}

func TestExcludeSocketAndOffsets(t *testing.T) {
	h := newHub()
	json := encoders.NewJSON()
	a := &fakeSub{id: "a", enc: json}
	b := &fakeSub{id: "b", enc: json}
	h.Subscribe(a, "s", "i")
	h.Subscribe(b, "s", "i")
	h.Broadcast(&broker.Publication{Stream: "s", Data: "1", Meta: broker.Meta{ExcludeSocket: "a"}, Epoch: "ep", Offset: 7})
	h.Shutdown()
	if len(a.frames()) != 0 {
		t.Fatal("excluded socket got the message")
	}
	if got := string(b.frames()[0][2:]); got != `{"identifier":"i","message":1,"stream_id":"s","epoch":"ep","offset":7}` {
		t.Fatalf("got %s", got)
	}
}

func TestPerStreamOrderAndUnsubscribe(t *testing.T) {
	h := newHub()
	json := encoders.NewJSON()
	a := &fakeSub{id: "a", enc: json}
	h.Subscribe(a, "s1", "i")
	h.Subscribe(a, "s2", "i")
	for i := 0; i < 200; i++ {
		h.Broadcast(&broker.Publication{Stream: "s1", Data: fmt.Sprint(i)})
	}
	h.Broadcast(&broker.Publication{Stream: "s2", Data: `"other"`})
	if h.StreamsCount() != 2 {
		t.Fatalf("streams %d", h.StreamsCount())
	}
	h.Unsubscribe(a, "s2", "i")
	if h.StreamsCount() != 1 {
		t.Fatalf("streams after unsubscribe %d", h.StreamsCount())
	}
	h.Shutdown()
	n := 0
	for _, f := range a.frames() {
		want := fmt.Sprintf(`{"identifier":"i","message":%d}`, n)
		if string(f[2:]) == want {
			n++
		}
	}
	if n != 200 {
		t.Fatalf("in-order deliveries: %d of 200", n)
	}
}

func BenchmarkBroadcast1000(b *testing.B) {
	h := newHub()
	json := encoders.NewJSON()
	subs := make([]*countSub, 1000)
	for i := range subs {
		subs[i] = &countSub{id: fmt.Sprint(i), enc: json}
		h.Subscribe(subs[i], "all", `{"channel":"BenchmarkChannel"}`)
	}
	d := &deliverer{}
	p := &broker.Publication{Stream: "all", Data: `{"action":"broadcast","payload":"hello"}`}
	b.ReportAllocs()
	for b.Loop() {
		h.deliver(d, p, false)
	}
	h.Shutdown()
}

type countSub struct {
	id     string
	enc    encoders.Encoder
	format *Format
	n      int
}

// testFormats interns the fake subscribers' formats, as a node does.
var testFormats Formats

func (s *countSub) ID() string                { return s.id }
func (s *countSub) Encoder() encoders.Encoder { return s.enc }
func (s *countSub) Format() *Format {
	if s.format == nil { // the benchmark's deliveries run on one goroutine
		s.format = testFormats.Get(s.enc, frames.WebSocketFramer())
	}
	return s.format
}
func (s *countSub) Send([]byte)       { s.n++ }
func (s *countSub) Queue([]byte) bool { s.n++; return false }
func (s *countSub) Flush()            {}
