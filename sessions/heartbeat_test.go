package sessions

import (
	"testing"
	"time"
)

// The ping scheduler answers a wake-up between its ticks, so the systemd
// watchdog sees it alive however long the watchdog interval is.
func TestPingSchedulerAnswersWake(t *testing.T) {
	n, _ := newTestNode(t, Options{}, Deps{})
	beats := n.Heartbeats()
	if len(beats) != 1 || beats[0].Name() != "ping scheduler" {
		t.Fatalf("heartbeats %v", beats)
	}
	b := beats[0]
	before := b.Count()
	deadline := time.Now().Add(15 * time.Second)
	for b.Count() == before {
		if time.Now().After(deadline) {
			t.Fatal("the ping scheduler made no progress")
		}
		b.Wake()
		time.Sleep(5 * time.Millisecond)
	}
}
