package sessions

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/gobwas/ws"

	"github.com/densecable/densecable/frames"
)

const tooManyRequests = `{"type":"disconnect","reason":"too_many_requests","reconnect":true}`

// floodSetup gives a flooding session whose worker is busy (its commands
// queue up) and a normal session next to it.
func floodSetup(t *testing.T) (n *Node, rec *logRecorder, flood *Session, fc *fakeConn, calm *Session, cc *fakeConn, release func()) {
	t.Helper()
	n, rec = newTestNode(t, Options{PingInterval: 0, Workers: 4}, Deps{Authenticators: []Authenticator{okAuth{}}})
	flood, fc = connect(n, "/cable")
	calm, cc = connect(n, "/cable")
	welcomed(t, fc)
	welcomed(t, cc)
	release = blockSession(t, flood)
	t.Cleanup(release)
	return
}

// checkCutOff verifies the flooding client was told why and closed with 1008,
// the debug line, and that the normal client is still served.
func checkCutOff(t *testing.T, n *Node, rec *logRecorder, fc *fakeConn, calm *Session, cc *fakeConn) {
	t.Helper()
	closed, code, _ := fc.closeInfo()
	if !closed || code != frames.ClosePolicyViolation {
		t.Fatalf("flooding client: closed %v code %d, want 1008", closed, code)
	}
	if _, ok := fc.find(tooManyRequests); !ok {
		t.Fatalf("flooding client was not sent %s", tooManyRequests)
	}
	if len(rec.lines(slog.LevelDebug, "too many")) != 1 {
		t.Errorf("want one debug line, got %v", rec.lines(slog.LevelDebug, "too many"))
	}
	if w := rec.lines(slog.LevelWarn, "too many"); len(w) > 0 {
		t.Errorf("a client's flood was logged as a warning: %v", w)
	}
	before := cc.count(`{"type":"pong"`)
	for i := 0; i < 3; i++ {
		calm.OnMessage(ws.OpText, []byte(`{"command":"ping"}`))
	}
	waitFor(t, "pongs to the normal client", func() bool { return cc.count(`{"type":"pong"`) == before+3 })
	if closed, _, _ := cc.closeInfo(); closed {
		t.Fatal("normal client was closed")
	}
}

func TestQueuedCommandsBoundedByCount(t *testing.T) {
	n, rec, flood, fc, calm, cc, release := floodSetup(t)
	for i := 0; i < 256; i++ {
		flood.OnMessage(ws.OpText, []byte(`{"command":"ping"}`))
		// The normal client keeps being served meanwhile.
		if i%64 == 0 {
			calm.OnMessage(ws.OpText, []byte(`{"command":"ping"}`))
		}
	}
	waitFor(t, "the normal client served during the flood", func() bool { return cc.count(`{"type":"pong"`) == 4 })
	if closed, _, _ := fc.closeInfo(); closed {
		t.Fatal("closed with 256 queued commands; the bound is 256")
	}
	flood.OnMessage(ws.OpText, []byte(`{"command":"ping"}`))
	checkCutOff(t, n, rec, fc, calm, cc)
	release()
}

func TestQueuedCommandsBoundedByBytes(t *testing.T) {
	n, rec, flood, fc, calm, cc, release := floodSetup(t)
	cmd := []byte(`{"command":"message","identifier":"x","data":"` + strings.Repeat("a", 64<<10-64) + `"}`)
	// 16 commands just under 64 KiB each fit in 1 MiB, the 17th does not
	// (and 17 is far below the count bound).
	for i := 0; i < 16; i++ {
		flood.OnMessage(ws.OpText, cmd)
	}
	if closed, _, _ := fc.closeInfo(); closed {
		t.Fatal("closed with less than 1 MiB queued")
	}
	flood.OnMessage(ws.OpText, cmd)
	checkCutOff(t, n, rec, fc, calm, cc)
	release()
}

// Commands handled free their share of the bound: a client that sends
// steadily but not faster than it is served is never cut off.
func TestQueuedCommandsBoundFreedAsServed(t *testing.T) {
	n, _ := newTestNode(t, Options{Workers: 2}, Deps{Authenticators: []Authenticator{okAuth{}}})
	s, c := connect(n, "/cable")
	welcomed(t, c)
	for round := 0; round < 4; round++ {
		for i := 0; i < 200; i++ {
			s.OnMessage(ws.OpText, []byte(`{"command":"ping"}`))
		}
		want := (round + 1) * 200
		waitFor(t, "pongs", func() bool { return c.count(`{"type":"pong"`) == want })
	}
	if closed, _, _ := c.closeInfo(); closed {
		t.Fatal("client served in time was cut off")
	}
	s.mu.Lock()
	left, bytes := len(s.inbox), s.inboxBytes
	s.mu.Unlock()
	if left != 0 || bytes != 0 {
		t.Fatalf("idle session holds %d tasks, %d bytes", left, bytes)
	}
}
