package fanout

import (
	"testing"

	"github.com/densecable/densecable/encoders"
)

// A subscriber under two identifiers of one stream counts once.
func TestSubscribersCountsDistinctSessions(t *testing.T) {
	h := newHub()
	defer h.Shutdown()
	a := &fakeSub{id: "a", enc: encoders.NewJSON()}
	b := &fakeSub{id: "b", enc: encoders.NewJSON()}
	if n := h.Subscribers("room"); n != 0 {
		t.Fatalf("empty stream: %d", n)
	}
	h.Subscribe(a, "room", "id1")
	h.Subscribe(b, "room", "id1")
	if n := h.Subscribers("room"); n != 2 {
		t.Fatalf("one identifier: %d, want 2", n)
	}
	h.Subscribe(a, "room", "id2")
	if n := h.Subscribers("room"); n != 2 {
		t.Fatalf("two identifiers: %d, want 2", n)
	}
	h.Unsubscribe(a, "room", "id1")
	h.Unsubscribe(a, "room", "id2")
	if n := h.Subscribers("room"); n != 1 {
		t.Fatalf("after unsubscribe: %d, want 1", n)
	}
}
