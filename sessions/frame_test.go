package sessions

import (
	"testing"

	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/sessions/actioncable"
)

// A payload rendered for one send is its own frame on a transport that
// adds nothing (SSE): no copy per reply. A WebSocket frame is a new buffer
// with the header in front.
func TestFrameUnframedIsThePayload(t *testing.T) {
	n := &Node{}
	p := []byte("event: welcome\ndata: {}\n\n")
	w := n.wireFor(actioncable.Default(), frames.Unframed())
	if f := w.frame(nil, p); len(f) != len(p) || &f[0] != &p[0] {
		t.Fatal("unframed payload was copied")
	}
	w = n.wireFor(actioncable.Default(), frames.WebSocketFramer())
	if f := w.frame(nil, p); &f[len(f)-len(p)] == &p[0] || string(f[len(f)-len(p):]) != string(p) {
		t.Fatalf("WebSocket frame %q", f)
	}
}
