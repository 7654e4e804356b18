package sessions

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/sessions/actioncable"
)

// nativeConn is a fake transport that sends native pings (a WebSocket).
type nativeConn struct {
	fakeConn
	pings atomic.Int64
}

func (c *nativeConn) NativePing() error { c.pings.Add(1); return nil }

// With --enable_ws_native_pings and --pong_timeout, a client that can
// answer a native ping and does not is cut off; a transport without native
// pings (an SSE stream, which cannot answer anything) is not, however long.
func TestNativePongDeadlineOnlyForNativePingers(t *testing.T) {
	n, _ := newTestNode(t, Options{PingInterval: 100 * time.Millisecond, EnableNativePings: true,
		PongTimeout: 200 * time.Millisecond, Workers: 4}, Deps{Authenticators: []Authenticator{okAuth{}}})
	_, plain := connect(n, "/cable")
	welcomed(t, plain)
	ws := &nativeConn{}
	s := n.NewSession(ws, actioncable.Default(), &frames.Request{URI: "/cable", Host: "localhost"})
	ws.mu.Lock()
	ws.recv = s
	ws.mu.Unlock()
	waitFor(t, "the native-ping client cut off for no pong", func() bool {
		closed, _, _ := ws.closeInfo()
		return closed
	})
	if ws.pings.Load() == 0 {
		t.Fatal("no native ping was sent")
	}
	if closed, _, _ := plain.closeInfo(); closed {
		t.Fatal("a transport without native pings got a pong deadline")
	}
	if plain.count(`{"type":"ping"`) == 0 {
		t.Fatal("the other client got no pings meanwhile")
	}
}
