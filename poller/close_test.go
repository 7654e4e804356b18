package poller

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"
)

// countingRecv counts OnClose calls.
type countingRecv struct{ closes *atomic.Int32 }

func (countingRecv) OnMessage(ws.OpCode, []byte) {}
func (r countingRecv) OnClose()                  { r.closes.Add(1) }

// waitCount waits until n reaches want (and fails past 5 s), then checks
// that it stays there.
func waitCount(t *testing.T, n *atomic.Int32, want int32) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for n.Load() < want && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if got := n.Load(); got != want {
		t.Fatalf("OnClose ran %d times, want %d", got, want)
	}
}

// A handler may refuse a connection from Open itself or from another
// goroutine right after it (the sessions core authenticates on a worker):
// the client must get the last message and the close frame with the code,
// not a bare end of the connection (1006 in a browser), and the receiver
// must hear the close exactly once.
func TestCloseDuringOpen(t *testing.T) {
	for _, engine := range contractEngines {
		t.Run(engine, func(t *testing.T) {
			s, h := startEngine(t, engine, Options{})
			var closes, opens atomic.Int32
			h.mu.Lock()
			h.onOpen = func(c *Conn) Receiver {
				last := ws.MustCompileFrame(ws.NewTextFrame([]byte("bye")))
				if opens.Add(1)%2 == 1 {
					c.CloseWith(last, 4007, "old")
				} else {
					go c.CloseWith(last, 4007, "old")
				}
				return countingRecv{&closes}
			}
			h.mu.Unlock()
			for i := 0; i < 30; i++ {
				sync := i%2 == 0
				conn, r := wsDial(t, s, engine)
				<-h.opened
				_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
				f, err := ws.ReadFrame(r)
				if err != nil || string(f.Payload) != "bye" {
					t.Fatalf("run %d (sync %v): last message %q, %v", i, sync, f.Payload, err)
				}
				if got := closedBy(t, conn, r, 5*time.Second); got != 4007 {
					t.Fatalf("run %d (sync %v): close code %d, want 4007", i, sync, got)
				}
				conn.Close()
				waitCount(t, &closes, int32(i+1))
			}
		})
	}
}
