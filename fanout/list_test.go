package fanout

import (
	"testing"
	"time"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/encoders"
)

// waitFrames waits until s has received n frames.
func waitFrames(t *testing.T, s *fakeSub, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(s.frames()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d frames, want %d", s.id, len(s.frames()), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// The delivery list is a copy of the table made by a broadcast: every
// change after it (a subscriber added to a channel, a new channel, one
// leaving) must show in the next broadcast.
func TestDeliveryListFollowsChanges(t *testing.T) {
	h := newHub()
	json := encoders.NewJSON()
	a := &fakeSub{id: "a", enc: json}
	b := &fakeSub{id: "b", enc: json}
	c := &fakeSub{id: "c", enc: json}
	h.Subscribe(a, "s", "i1")
	h.Broadcast(&broker.Publication{Stream: "s", Data: "1"})
	waitFrames(t, a, 1)

	h.Subscribe(b, "s", "i1")
	h.Subscribe(c, "s", "i2")
	h.Broadcast(&broker.Publication{Stream: "s", Data: "2"})
	waitFrames(t, a, 2)
	waitFrames(t, b, 1)
	waitFrames(t, c, 1)

	h.Unsubscribe(a, "s", "i1")
	h.Unsubscribe(c, "s", "i2")
	h.Broadcast(&broker.Publication{Stream: "s", Data: "3"})
	h.Shutdown() // every queued publication delivered
	if n := len(a.frames()); n != 2 {
		t.Fatalf("a got %d frames after leaving, want 2", n)
	}
	if n := len(c.frames()); n != 1 {
		t.Fatalf("c got %d frames after leaving, want 1", n)
	}
	if got := b.frames(); len(got) != 2 || string(got[1][2:]) != `{"identifier":"i1","message":3}` {
		t.Fatalf("b's frames %q", got)
	}
	if h.Subscribers("s") != 1 {
		t.Fatalf("subscribers %d, want 1", h.Subscribers("s"))
	}
}
