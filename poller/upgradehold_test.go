package poller

import (
	"bufio"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/densecable/densecable/frames"
)

// holdingRecv takes over the 101 (UpgradeHolder).
type holdingRecv struct{ testRecv }

func (holdingRecv) HoldsUpgradeResponse() bool { return true }

const upgradeRequest = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"

// A receiver that holds the 101 gets it sent with its first write, in
// order before it; one that does not has it sent after Open (every other
// contract test).
func TestUpgradeResponseHeldUntilFirstWrite(t *testing.T) {
	for _, engine := range contractEngines {
		t.Run(engine, func(t *testing.T) {
			s, h := startEngine(t, engine, Options{})
			corked := make(chan bool, 1)
			h.mu.Lock()
			h.onOpen = func(c *Conn) Receiver {
				corked <- c.UpgradeCorked()
				return holdingRecv{testRecv{h}}
			}
			h.mu.Unlock()
			conn := rawDial(t, s, engine)
			if _, err := io.WriteString(conn, upgradeRequest); err != nil {
				t.Fatal(err)
			}
			var c *Conn
			select {
			case c = <-h.opened:
			case <-time.After(5 * time.Second):
				t.Fatal("not opened")
			}
			if !<-corked {
				t.Fatal("the 101 was not corked during Open")
			}
			// Open has returned once the receiver is set: the 101 must
			// still be waiting then.
			waitCond(t, "receiver set", func() bool {
				c.mu.Lock()
				defer c.mu.Unlock()
				return c.recv != nil
			})
			if !c.UpgradeCorked() {
				t.Fatal("the 101 left before the receiver's first write")
			}
			if err := c.Write(frames.AppendFrame(nil, ws.OpText, []byte("welcome"))); err != nil {
				t.Fatal(err)
			}
			_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			br := bufio.NewReader(conn)
			status, err := br.ReadString('\n')
			if err != nil || !strings.HasPrefix(status, "HTTP/1.1 101 ") {
				t.Fatalf("status line %q, %v", status, err)
			}
			for {
				l, err := br.ReadString('\n')
				if err != nil {
					t.Fatal(err)
				}
				if l == "\r\n" {
					break
				}
			}
			f, err := ws.ReadFrame(br)
			if err != nil || string(f.Payload) != "welcome" {
				t.Fatalf("first frame %q, %v", f.Payload, err)
			}
		})
	}
}

// waitCond polls cond until it holds (the bound is for loaded machines).
func waitCond(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
