package fanout

import (
	"testing"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/encoders"
)

// silentEncoder renders nothing for a broadcast, as a protocol does for a
// message that is not for its clients (GraphQL and a non-result payload).
type silentEncoder struct{ encoders.Encoder }

func (silentEncoder) AppendReply(dst []byte, _ *encoders.Reply) ([]byte, error) { return dst, nil }

// A protocol that renders nothing gets no frame (not an empty one); others
// on the same stream still get theirs.
func TestBroadcastSendsNothingWhenRenderedEmpty(t *testing.T) {
	h := newHub()
	quiet := &fakeSub{id: "q", enc: silentEncoder{encoders.NewJSON()}}
	loud := &fakeSub{id: "l", enc: encoders.NewJSON()}
	h.Subscribe(quiet, "room", "id1")
	h.Subscribe(loud, "room", "id1")
	h.Broadcast(&broker.Publication{Stream: "room", Data: `{"x":1}`})
	h.Shutdown()
	if n := len(quiet.frames()); n != 0 {
		t.Fatalf("silent subscriber got %d frames", n)
	}
	if n := len(loud.frames()); n != 1 {
		t.Fatalf("other subscriber got %d frames", n)
	}
}
