package fanout

import (
	"bytes"
	"strings"
	"testing"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/encoders"
	"github.com/densecable/densecable/frames"
)

// deflateSub is a subscriber whose connection agreed on permessage-deflate.
type deflateSub struct{ *fakeSub }

func (s deflateSub) Format() *Format { return testFormats.Get(s.enc, frames.DeflateFramer()) }

// A broadcast is compressed once for every compressed subscriber of the same
// identifier and encoding (they share the frame), and plain subscribers get
// the plain frame of the same message.
func TestBroadcastCompressedOncePerIdentifierAndEncoder(t *testing.T) {
	h := newHub()
	json := encoders.NewJSON()
	a := deflateSub{&fakeSub{id: "a", enc: json}}
	b := deflateSub{&fakeSub{id: "b", enc: json}}
	c := &fakeSub{id: "c", enc: json}
	h.Subscribe(a, "room", "id1")
	h.Subscribe(b, "room", "id1")
	h.Subscribe(c, "room", "id1")
	text := strings.Repeat("compressible ", 40)
	h.Broadcast(&broker.Publication{Stream: "room", Data: `{"text":"` + text + `"}`})
	h.Shutdown()

	fa, fb, fc := a.frames(), b.frames(), c.frames()
	if len(fa) != 1 || len(fb) != 1 || len(fc) != 1 {
		t.Fatalf("deliveries: %d %d %d", len(fa), len(fb), len(fc))
	}
	if &fa[0][0] != &fb[0][0] {
		t.Fatal("compressed subscribers of one identifier and encoding must share one compressed frame")
	}
	if fa[0][0] != 0xc1 || fc[0][0] != 0x81 {
		t.Fatalf("first bytes %x (compressed) and %x (plain): want RSV1 on the compressed frame only", fa[0][0], fc[0][0])
	}
	// The plain message is over 125 bytes (a 4-byte header); the compressed
	// one may be under.
	plain := fc[0][4:]
	z := fa[0][2:]
	if fa[0][1] == 126 {
		z = fa[0][4:]
	}
	got, err := frames.Inflate(nil, z, 1<<20)
	if err != nil || !bytes.Equal(got, plain) || len(z) >= len(plain) {
		t.Fatalf("compressed frame (%d bytes) does not inflate to the plain one (%d bytes): %v", len(z), len(plain), err)
	}
}
