package frames

import (
	"bytes"
	"testing"

	"github.com/gobwas/ws"
)

// The WebSocket framer writes what AppendFrame writes, sizes it exactly,
// and is one comparable value (fanout and the pinger key caches on it).
func TestWebSocketFramer(t *testing.T) {
	f := WebSocketFramer()
	if f != WebSocketFramer() {
		t.Fatal("framer values differ")
	}
	for _, n := range []int{0, 125, 126, 0xffff, 0x10000} {
		p := bytes.Repeat([]byte{'x'}, n)
		for _, bin := range []bool{false, true} {
			op := ws.OpText
			if bin {
				op = ws.OpBinary
			}
			got := f.AppendFrame(nil, p, bin)
			if !bytes.Equal(got, AppendFrame(nil, op, p)) || len(got) != f.FrameSize(n) {
				t.Fatalf("n=%d binary=%v: %d bytes, size %d", n, bin, len(got), f.FrameSize(n))
			}
		}
	}
}
