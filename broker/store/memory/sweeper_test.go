package memory

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/densecable/densecable/broker"
)

// The sweeper goroutine expires presence by itself and stops on Shutdown.
func TestSweeperRunsUntilShutdown(t *testing.T) {
	clock := newFakeClock()
	var leaves atomic.Int32
	b := NewWithConfig(Config{Options: broker.DefaultOptions(), Now: clock.Now, SweepInterval: 5 * time.Millisecond},
		func(string, []broker.PresenceEvent) { leaves.Add(1) }, nil)
	ctx := context.Background()
	if err := b.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Start(ctx); err != nil {
		t.Fatalf("second Start: %v", err)
	}
	if _, err := b.PresenceAdd(ctx, "room", "s1", "u1", nil); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	deadline := time.Now().Add(5 * time.Second)
	for leaves.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the sweeper did not expire presence")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := b.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Shutdown(ctx); err != nil {
		t.Fatalf("second Shutdown: %v", err)
	}
	if _, err := b.PresenceAdd(ctx, "room", "s2", "u2", nil); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	time.Sleep(50 * time.Millisecond) // ten intervals: a running sweeper would act
	if info, _ := b.PresenceInfo(ctx, "room"); info.Total != 1 {
		t.Fatalf("swept after Shutdown: %+v", info)
	}
}
