package memory

import (
	"context"
	"testing"
	"time"

	"github.com/densecable/densecable/broker"
)

// Expiry is exact even between sweeps, and a touch cannot revive an
// expired snapshot.
func TestSessionExpiryWithoutSweep(t *testing.T) {
	opts := broker.DefaultOptions()
	opts.SessionsTTL = 10
	b, clock := newTestBroker(opts)
	ctx := context.Background()
	if err := b.CommitSession(ctx, "s1", []byte("snap")); err != nil {
		t.Fatal(err)
	}
	clock.Advance(9 * time.Second)
	if got, _ := b.RestoreSession(ctx, "s1"); string(got) != "snap" {
		t.Fatalf("expired early: %q", got)
	}
	clock.Advance(time.Second)
	if err := b.TouchSession(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.RestoreSession(ctx, "s1"); got != nil {
		t.Fatalf("expired snapshot restored: %q", got)
	}
}

// Restored snapshots are copies: changing one does not change the cache.
func TestRestoredSnapshotIsACopy(t *testing.T) {
	b, _ := newTestBroker(broker.DefaultOptions())
	ctx := context.Background()
	if err := b.CommitSession(ctx, "s1", []byte("snap")); err != nil {
		t.Fatal(err)
	}
	got, _ := b.RestoreSession(ctx, "s1")
	got[0] = 'X'
	if again, _ := b.RestoreSession(ctx, "s1"); string(again) != "snap" {
		t.Fatalf("cache changed through a restored copy: %q", again)
	}
}
