package natsstore

import (
	"testing"
	"time"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/broker/testservers"
)

// Long enough that the background loops never expire anything during a
// test: expiry is driven by hand with chosen clocks.
var longTTL = func() broker.Options { o := broker.DefaultOptions(); o.PresenceTTL = 600; return o }()

func TestLocalExpiryReportsLeavesOnce(t *testing.T) {
	testservers.RequireShared(t, testservers.SharedNATSAddr, "NATS")
	prefix := uniquePrefix()
	expA, expB := newExpirations(), newExpirations()
	a := startBroker(t, sharedURL, prefix, longTTL, expA.fn())
	b := startBroker(t, sharedURL, prefix, longTTL, expB.fn())
	for _, sid := range []string{"s1", "s2"} {
		if _, err := a.PresenceAdd(bg, "room", sid, "u-"+sid, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.PresenceAdd(bg, "room", "s3", "u-s1", nil); err != nil { // u-s1 also on b
		t.Fatal(err)
	}
	now := time.Now()
	if err := a.TouchPresence(bg, "s2"); err != nil {
		t.Fatal(err)
	}
	a.expireLocal(bg, now.Add(a.presenceTTL/2))
	if got := expA.of("room"); len(got) != 0 {
		t.Fatalf("expired before presence_ttl: %+v", got)
	}
	// s1 stops touching; s2 keeps touching.
	later := now.Add(a.presenceTTL + time.Second)
	a.presence.touch("s2", later)
	a.expireLocal(bg, later)
	if got := expA.of("room"); len(got) != 0 {
		t.Fatalf("u-s1 still has a session on b, yet: %+v", got)
	}
	pi, err := b.PresenceInfo(bg, "room")
	if err != nil || pi.Total != 2 {
		t.Fatalf("info after s1 expired: %+v %v", pi, err)
	}
	a.expireLocal(bg, later.Add(a.presenceTTL+time.Second))
	if got := expA.of("room"); len(got) != 1 || !isLeave(got[0], "u-s2") {
		t.Fatalf("leaves: %+v", got)
	}
	a.expireLocal(bg, later.Add(3*a.presenceTTL))
	if got := expA.of("room"); len(got) != 1 || len(expB.of("room")) != 0 {
		t.Fatalf("leave reported again: %+v %+v", got, expB.of("room"))
	}
}

// A node that stops (crash) has its sessions' presence removed by the
// others once its heartbeat is older than presence_ttl, with each leave
// reported by exactly one of them.
func TestDeadNodeIsReapedOnce(t *testing.T) {
	testservers.RequireShared(t, testservers.SharedNATSAddr, "NATS")
	prefix := uniquePrefix()
	exps := []*expirations{newExpirations(), newExpirations()}
	dead := startBroker(t, sharedURL, prefix, longTTL, nil)
	b := startBroker(t, sharedURL, prefix, longTTL, exps[0].fn())
	c := startBroker(t, sharedURL, prefix, longTTL, exps[1].fn())
	for _, sid := range []string{"d1", "d2"} {
		if _, err := dead.PresenceAdd(bg, "room", sid, "u-"+sid, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.PresenceAdd(bg, "room", "b1", "u-d2", nil); err != nil {
		t.Fatal(err)
	}
	if err := dead.Shutdown(bg); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	seenB, seenC := map[string]nodeSeen{}, map[string]nodeSeen{}
	b.reapDeadNodes(bg, seenB, now)
	c.reapDeadNodes(bg, seenC, now)
	b.reapDeadNodes(bg, seenB, now.Add(b.presenceTTL/2))
	if len(exps[0].of("room")) != 0 {
		t.Fatal("reaped a node before presence_ttl")
	}
	// b and c are alive: their heartbeats move on.
	for _, n := range []*Broker{b, c} {
		if err := n.heartbeat(bg); err != nil {
			t.Fatal(err)
		}
	}
	b.reapDeadNodes(bg, seenB, now.Add(b.presenceTTL))
	c.reapDeadNodes(bg, seenC, now.Add(b.presenceTTL))
	later := now.Add(2*b.presenceTTL + time.Second)
	b.reapDeadNodes(bg, seenB, later)
	c.reapDeadNodes(bg, seenC, later)
	all := append(exps[0].of("room"), exps[1].of("room")...)
	if len(all) != 1 || !isLeave(all[0], "u-d1") {
		t.Fatalf("leaves: %+v", all)
	}
	pi, err := c.PresenceInfo(bg, "room")
	if err != nil || pi.Total != 1 || pi.Records[0].ID != "u-d2" {
		t.Fatalf("info: %+v %v", pi, err)
	}
	// The dead node's heartbeat is gone: nothing more to reap.
	b.reapDeadNodes(bg, seenB, later.Add(10*b.presenceTTL))
	if n := len(exps[0].of("room")) + len(exps[1].of("room")); n != 1 {
		t.Fatalf("%d leaves after reaping again", n)
	}
}

// A node that others took for dead writes its presence back at its next
// heartbeat.
func TestNodeTakenForDeadRestoresPresence(t *testing.T) {
	testservers.RequireShared(t, testservers.SharedNATSAddr, "NATS")
	prefix := uniquePrefix()
	exp := newExpirations()
	a := startBroker(t, sharedURL, prefix, longTTL, nil)
	b := startBroker(t, sharedURL, prefix, longTTL, exp.fn())
	if _, err := a.PresenceAdd(bg, "room", "a1", "u1", []byte(`1`)); err != nil {
		t.Fatal(err)
	}
	seen, now := map[string]nodeSeen{}, time.Now()
	b.reapDeadNodes(bg, seen, now)
	b.reapDeadNodes(bg, seen, now.Add(2*b.presenceTTL))
	if len(exp.of("room")) != 1 {
		t.Fatalf("a was not reaped: %+v", exp.of("room"))
	}
	if err := a.heartbeat(bg); err != nil {
		t.Fatal(err)
	}
	pi, err := b.PresenceInfo(bg, "room")
	if err != nil || pi.Total != 1 || pi.Records[0].ID != "u1" {
		t.Fatalf("presence not restored: %+v %v", pi, err)
	}
	if ev, err := a.PresenceRemove(bg, "room", "a1"); err != nil || ev == nil || ev.Type != "leave" {
		t.Fatalf("leave after restore: %+v %v", ev, err)
	}
}

// In real time, with a short presence_ttl: a session that stops touching
// leaves on its own node, and a stopped node's session leaves through the
// survivors, each reported once.
func TestPresenceExpiresInRealTime(t *testing.T) {
	t.Parallel()
	testservers.RequireShared(t, testservers.SharedNATSAddr, "NATS")
	prefix := uniquePrefix()
	opts := broker.DefaultOptions()
	opts.PresenceTTL = 1
	expA, expB, expC := newExpirations(), newExpirations(), newExpirations()
	a := startBroker(t, sharedURL, prefix, opts, expA.fn())
	b := startBroker(t, sharedURL, prefix, opts, expB.fn())
	startBroker(t, sharedURL, prefix, opts, expC.fn())
	if _, err := a.PresenceAdd(bg, "idle", "a1", "u1", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := b.PresenceAdd(bg, "crash", "b1", "u2", nil); err != nil {
		t.Fatal(err)
	}
	// b stops at once, before it could expire its own idle session.
	if err := b.Shutdown(bg); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the idle session's leave", func() bool { return len(expA.of("idle")) == 1 })
	total := func() int { return len(expA.of("crash")) + len(expC.of("crash")) }
	eventually(t, "the stopped node's leave", func() bool { return total() == 1 })
	// Give the survivors two more reaping rounds to repeat it, wrongly.
	time.Sleep(2 * a.presenceTTL)
	if total() != 1 || len(expA.of("idle")) != 1 {
		t.Fatalf("leaves reported %d and %d times", total(), len(expA.of("idle")))
	}
}

func isLeave(e broker.PresenceEvent, id string) bool {
	return e.Type == "leave" && e.ID == id && e.Info == nil
}
