package memory

import (
	"context"
	"testing"
	"time"

	"github.com/densecable/densecable/broker"
)

// Without a callback, expiry still removes the presence.
func TestPresenceExpiryWithoutCallback(t *testing.T) {
	opts := broker.DefaultOptions()
	b, clock := newTestBroker(opts)
	ctx := context.Background()
	if _, err := b.PresenceAdd(ctx, "room", "s1", "u1", nil); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Duration(opts.PresenceTTL) * time.Second)
	b.Sweep()
	if info, _ := b.PresenceInfo(ctx, "room"); info.Total != 0 {
		t.Fatalf("presence kept: %+v", info)
	}
}

// Presence expires presence_ttl after the last join or touch, not before.
func TestPresenceDeadline(t *testing.T) {
	opts := broker.DefaultOptions() // presence_ttl 15
	b, clock := newTestBroker(opts)
	ctx := context.Background()
	if _, err := b.PresenceAdd(ctx, "room", "s1", "u1", nil); err != nil {
		t.Fatal(err)
	}
	clock.Advance(10 * time.Second)
	// Joining again (same id) counts as a touch.
	if _, err := b.PresenceAdd(ctx, "room", "s1", "u1", nil); err != nil {
		t.Fatal(err)
	}
	clock.Advance(14 * time.Second)
	b.Sweep()
	if info, _ := b.PresenceInfo(ctx, "room"); info.Total != 1 {
		t.Fatalf("expired 14 s after the last join: %+v", info)
	}
	clock.Advance(time.Second)
	b.Sweep()
	if info, _ := b.PresenceInfo(ctx, "room"); info.Total != 0 {
		t.Fatalf("kept 15 s after the last join: %+v", info)
	}
}

// The info of a record is the first session's; later joins with the same
// id do not change it (no event would tell the subscribers).
func TestPresenceInfoIsTheFirstJoins(t *testing.T) {
	b, _ := newTestBroker(broker.DefaultOptions())
	ctx := context.Background()
	info := []byte(`{"n":1}`)
	if _, err := b.PresenceAdd(ctx, "room", "s1", "u1", info); err != nil {
		t.Fatal(err)
	}
	info[6] = '9' // the broker keeps its own copy
	if _, err := b.PresenceAdd(ctx, "room", "s2", "u1", []byte(`{"n":2}`)); err != nil {
		t.Fatal(err)
	}
	got, _ := b.PresenceInfo(ctx, "room")
	if len(got.Records) != 1 || string(got.Records[0].Info) != `{"n":1}` {
		t.Fatalf("records %+v", got.Records)
	}
}

// Touching a session that left does not bring it back, and the session
// index forgets sessions that have no presence left.
func TestPresenceIndexFollowsMembership(t *testing.T) {
	b, _ := newTestBroker(broker.DefaultOptions())
	ctx := context.Background()
	for _, s := range []string{"a", "b"} {
		if _, err := b.PresenceAdd(ctx, s, "s1", "u1", nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.PresenceRemove(ctx, "a", "s1"); err != nil {
		t.Fatal(err)
	}
	if err := b.TouchPresence(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	if info, _ := b.PresenceInfo(ctx, "a"); info.Total != 0 {
		t.Fatalf("touch revived a left session: %+v", info)
	}
	if _, err := b.PresenceRemove(ctx, "b", "s1"); err != nil {
		t.Fatal(err)
	}
	if entries, _ := b.shardSizes(); entries != 0 {
		t.Fatalf("%d map entries left after every session left", entries)
	}
}
