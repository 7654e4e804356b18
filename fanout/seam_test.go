package fanout

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/encoders"
	"github.com/densecable/densecable/frames"
)

// Tests of the hub at its seam with subscribers (sessions), with fakes that
// behave like a connection: Queue gathers ("corks") frames and Flush writes
// them, and a bounded output queue cuts a slow client off.

// connSub is a subscriber whose frames count only once flushed, as with a
// real connection: a frame Queue'd but never flushed is lost.
type connSub struct {
	id  string
	enc encoders.Encoder

	mu      sync.Mutex
	corked  [][]byte
	written [][]byte
	// limit bounds written frames (0: none): a client that reads nothing
	// fills its output queue; past the bound it is cut off and gets
	// nothing more, as Session.writeFailed does.
	limit  int
	cutOff bool
}

func (s *connSub) ID() string                { return s.id }
func (s *connSub) Encoder() encoders.Encoder { return s.enc }
func (s *connSub) Format() *Format           { return testFormats.Get(s.enc, frames.WebSocketFramer()) }

// Send writes behind what another gate gathered, as poller.Conn.Write does.
func (s *connSub) Send(f []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.corked {
		s.writeLocked(c)
	}
	s.corked = nil
	s.writeLocked(f)
}

func (s *connSub) Queue(f []byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cutOff {
		return false
	}
	s.corked = append(s.corked, f)
	return len(s.corked) == 1
}

func (s *connSub) Flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.corked {
		s.writeLocked(f)
	}
	s.corked = nil
}

func (s *connSub) writeLocked(f []byte) {
	if s.cutOff {
		return
	}
	if s.limit > 0 && len(s.written) == s.limit {
		s.cutOff = true
		return
	}
	s.written = append(s.written, f)
}

// messages returns the decoded "message" of every written frame, and fails
// when frames are still gathered but unflushed.
func (s *connSub) messages(t *testing.T) []string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.corked) != 0 {
		t.Fatalf("%s: %d frames gathered and never flushed", s.id, len(s.corked))
	}
	out := make([]string, 0, len(s.written))
	for _, f := range s.written {
		out = append(out, frameMessage(t, f))
	}
	return out
}

// frameMessage reads the JSON reply in a server text frame.
func frameMessage(t *testing.T, f []byte) string {
	t.Helper()
	var hdr int
	switch n := f[1] & 0x7f; {
	case n < 126:
		hdr = 2
	case n == 126:
		hdr = 4
	default:
		hdr = 10
	}
	var r struct {
		Message string `json:"message"`
	}
	if err := json.Unmarshal(f[hdr:], &r); err != nil {
		t.Fatalf("frame %q: %v", f, err)
	}
	return r.Message
}

var discard = slog.New(slog.DiscardHandler)

func pubData(publisher, seq int) string { return fmt.Sprintf(`"%d-%d"`, publisher, seq) }

// Per-stream order with concurrent publishers: every subscriber of a stream
// sees the same sequence (one total order per stream, whatever the channel
// identifier), each publisher's messages appear in the order it published
// them, and none is lost or duplicated.
func TestPerStreamOrderUnderConcurrentPublishers(t *testing.T) {
	const publishers, perPublisher = 6, 300
	h := New(Options{Gates: 4, GateQueue: 8}, discard)
	js := encoders.NewJSON()
	subsA := []*connSub{{id: "a1", enc: js}, {id: "a2", enc: js}, {id: "a3", enc: js}}
	subsB := []*connSub{{id: "b1", enc: js}, {id: "b2", enc: js}}
	h.Subscribe(subsA[0], "A", "chan1")
	h.Subscribe(subsA[1], "A", "chan2")
	h.Subscribe(subsA[2], "A", "chan1")
	for _, s := range subsB {
		h.Subscribe(s, "B", "chan1")
	}
	// a3 follows both streams under one identifier.
	h.Subscribe(subsA[2], "B", "chan1")

	var wg sync.WaitGroup
	for p := 0; p < publishers; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perPublisher; i++ {
				stream := "A"
				if p%2 == 1 {
					stream = "B"
				}
				h.Broadcast(&broker.Publication{Stream: stream, Data: pubData(p, i)})
			}
		}()
	}
	wg.Wait()
	h.Shutdown()

	check := func(name string, got []string, stream int) {
		t.Helper()
		next := map[int]int{}
		for _, m := range got {
			var p, i int
			if _, err := fmt.Sscanf(m, "%d-%d", &p, &i); err != nil {
				t.Fatalf("%s: message %q", name, m)
			}
			if p%2 != stream {
				continue
			}
			if i != next[p] {
				t.Fatalf("%s: publisher %d message %d arrived when %d was due", name, p, i, next[p])
			}
			next[p]++
		}
		for p := stream; p < publishers; p += 2 {
			if next[p] != perPublisher {
				t.Fatalf("%s: got %d of publisher %d's %d messages", name, next[p], p, perPublisher)
			}
		}
	}
	only := func(msgs []string, stream int) []string {
		var out []string
		for _, m := range msgs {
			var p, i int
			fmt.Sscanf(m, "%d-%d", &p, &i)
			if p%2 == stream {
				out = append(out, m)
			}
		}
		return out
	}
	a1 := subsA[0].messages(t)
	check("a1", a1, 0)
	for _, s := range subsA[1:] {
		got := only(s.messages(t), 0)
		check(s.id, got, 0)
		if fmt.Sprint(got) != fmt.Sprint(a1) {
			t.Fatalf("%s saw stream A in another order than a1", s.id)
		}
	}
	b1 := subsB[0].messages(t)
	check("b1", b1, 1)
	for _, s := range []*connSub{subsB[1], subsA[2]} {
		got := only(s.messages(t), 1)
		check(s.id+" (B)", got, 1)
		if fmt.Sprint(got) != fmt.Sprint(b1) {
			t.Fatalf("%s saw stream B in another order than b1", s.id)
		}
	}
}

// exclude_socket skips exactly the session with that sid: under every
// channel identifier it has on the stream, for that publication only.
func TestExcludeSocketSkipsOnlyThatSession(t *testing.T) {
	h := New(Options{Gates: 2}, discard)
	js := encoders.NewJSON()
	a := &connSub{id: "sid-a", enc: js}
	ab := &connSub{id: "sid-ab", enc: js} // the excluded sid is a prefix of it
	other := &connSub{id: "sid-b", enc: encoders.NewJSON()}
	h.Subscribe(a, "room", "chan1")
	h.Subscribe(a, "room", "chan2")
	h.Subscribe(ab, "room", "chan1")
	h.Subscribe(other, "room", "chan2")
	h.Broadcast(&broker.Publication{Stream: "room", Data: `"1"`, Meta: broker.Meta{ExcludeSocket: "sid-a"}})
	h.Broadcast(&broker.Publication{Stream: "room", Data: `"2"`})
	h.Broadcast(&broker.Publication{Stream: "room", Data: `"3"`, Meta: broker.Meta{ExcludeSocket: "nobody"}})
	h.Shutdown()
	if got := fmt.Sprint(a.messages(t)); got != "[2 2 3 3]" {
		t.Fatalf("excluded session got %s, want [2 2 3 3] (two identifiers, publication 1 skipped)", got)
	}
	for _, s := range []*connSub{ab, other} {
		if got := fmt.Sprint(s.messages(t)); got != "[1 2 3]" {
			t.Fatalf("%s got %s, want [1 2 3]", s.id, got)
		}
	}
}

// A subscriber that reads nothing fills its bounded output queue and is cut
// off; the hub keeps delivering every message, in order, to the others, and
// the cut-off session can leave the hub while broadcasts go on.
func TestSlowSubscriberIsCutOffOthersUnaffected(t *testing.T) {
	const total, limit = 500, 20
	h := New(Options{Gates: 2, GateQueue: 4}, discard)
	js := encoders.NewJSON()
	slow := &connSub{id: "slow", enc: js, limit: limit}
	fast := []*connSub{{id: "f1", enc: js}, {id: "f2", enc: js}}
	h.Subscribe(slow, "s", "chan")
	for _, f := range fast {
		h.Subscribe(f, "s", "chan")
	}
	left, stop := make(chan struct{}), make(chan struct{})
	go func() {
		// The session, once cut off, unsubscribes (from its own
		// goroutine, as on close) while the gate is delivering.
		defer close(left)
		for {
			slow.mu.Lock()
			cut := slow.cutOff
			slow.mu.Unlock()
			if cut {
				h.Unsubscribe(slow, "s", "chan")
				return
			}
			select {
			case <-stop:
				return
			default:
				runtime.Gosched()
			}
		}
	}()
	for i := 0; i < total; i++ {
		h.Broadcast(&broker.Publication{Stream: "s", Data: fmt.Sprintf(`"%d"`, i)})
	}
	h.Shutdown()
	close(stop)
	<-left

	if !slow.cutOff {
		t.Fatal("the slow subscriber was never cut off")
	}
	got := slow.messages(t)
	if len(got) != limit {
		t.Fatalf("slow subscriber got %d messages, want its queue bound %d", len(got), limit)
	}
	for _, f := range fast {
		msgs := f.messages(t)
		if len(msgs) != total {
			t.Fatalf("%s got %d of %d messages", f.id, len(msgs), total)
		}
		for i, m := range msgs {
			if m != fmt.Sprint(i) {
				t.Fatalf("%s: message %d is %q", f.id, i, m)
			}
		}
	}
	if h.StreamsCount() != 1 {
		t.Fatalf("streams = %d, want 1 (the fast subscribers stay)", h.StreamsCount())
	}
}

// countingEncoder counts replies encoded through it.
type countingEncoder struct {
	encoders.Encoder
	n atomic.Int64
}

func (c *countingEncoder) AppendReply(dst []byte, r *encoders.Reply) ([]byte, error) {
	c.n.Add(1)
	return c.Encoder.AppendReply(dst, r)
}

// Encode once per (identifier, encoding): however many subscribers share
// them, a publication costs one encoding per pair, also within a batch.
func TestEncodeOncePerIdentifierAndEncoding(t *testing.T) {
	h := New(Options{Gates: 1, GateQueue: 16}, discard)
	js := &countingEncoder{Encoder: encoders.NewJSON()}
	mp := &countingEncoder{Encoder: encoders.NewMsgpack()}
	var subs []*connSub
	for i := 0; i < 50; i++ {
		for _, id := range []string{"chan1", "chan2"} {
			for _, enc := range []*countingEncoder{js, mp} {
				s := &connSub{id: fmt.Sprint(i, id, enc.ID()), enc: enc}
				subs = append(subs, s)
				h.Subscribe(s, "s", id)
			}
		}
	}
	const pubs = 5
	for i := 0; i < pubs; i++ {
		h.Broadcast(&broker.Publication{Stream: "s", Data: fmt.Sprint(i)})
	}
	h.Shutdown()
	// Two identifiers per encoding, each publication.
	if js.n.Load() != 2*pubs || mp.n.Load() != 2*pubs {
		t.Fatalf("encodings: json %d, msgpack %d; want %d each", js.n.Load(), mp.n.Load(), 2*pubs)
	}
	for _, s := range subs {
		s.mu.Lock()
		n := len(s.written)
		s.mu.Unlock()
		if n != pubs {
			t.Fatalf("%s got %d frames, want %d", s.id, n, pubs)
		}
	}
}
