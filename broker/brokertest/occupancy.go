package brokertest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/densecable/densecable/broker"
)

// RunOccupancyConformance checks a cluster-wide broker.Occupancy: a and b
// are two nodes sharing one store (fresh, empty). Transitions are reported
// once across the nodes, listing is sorted, prefixed and bounded.
func RunOccupancyConformance(t *testing.T, a, b broker.Occupancy) {
	ctx := context.Background()
	must := func(ok bool, err error) bool {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !must(a.OccupancyAdd(ctx, "presence-room")) {
		t.Fatal("first node's add: want occupied")
	}
	if must(a.OccupancyAdd(ctx, "presence-room")) {
		t.Fatal("repeated add: want no transition")
	}
	if must(b.OccupancyAdd(ctx, "presence-room")) {
		t.Fatal("second node's add: want no transition")
	}
	if !must(b.IsOccupied(ctx, "presence-room")) || must(b.IsOccupied(ctx, "other")) {
		t.Fatal("IsOccupied disagrees with the adds")
	}
	if must(a.OccupancyRemove(ctx, "presence-room")) {
		t.Fatal("first node's remove: the second still holds it")
	}
	if must(a.OccupancyRemove(ctx, "presence-room")) {
		t.Fatal("repeated remove: want no transition")
	}
	if !must(b.OccupancyRemove(ctx, "presence-room")) {
		t.Fatal("last node's remove: want vacated")
	}
	if must(a.IsOccupied(ctx, "presence-room")) {
		t.Fatal("vacated stream still occupied")
	}

	for _, s := range []string{"private-b", "private-a", "public", "private-c", "a{b}:c"} {
		must(b.OccupancyAdd(ctx, s))
	}
	got, err := a.OccupiedStreams(ctx, "private-", 2)
	if err != nil || !slices.Equal(got, []string{"private-a", "private-b"}) {
		t.Fatalf("OccupiedStreams(private-, 2) = %v, %v", got, err)
	}
	got, err = a.OccupiedStreams(ctx, "", 100)
	if err != nil || !slices.Equal(got, []string{"a{b}:c", "private-a", "private-b", "private-c", "public"}) {
		t.Fatalf("OccupiedStreams(\"\") = %v, %v", got, err)
	}

	// Racing nodes: each stream's occupied and vacated are each seen once.
	var mu sync.Mutex
	occupied, vacated := 0, 0
	var wg sync.WaitGroup
	for _, n := range []broker.Occupancy{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				add, err1 := n.OccupancyAdd(ctx, "race")
				rm, err2 := n.OccupancyRemove(ctx, "race")
				if err1 != nil || err2 != nil {
					t.Error(err1, err2)
					return
				}
				mu.Lock()
				if add {
					occupied++
				}
				if rm {
					vacated++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if occupied != vacated || occupied == 0 {
		t.Fatalf("race: %d occupied, %d vacated; want equal and > 0", occupied, vacated)
	}
	if must(a.IsOccupied(ctx, "race")) {
		t.Fatal("race: stream left occupied")
	}
}

// RunOccupancyNodeLoss checks that a node which stops without leaving its
// streams (crash) loses them: after stop (which makes a's liveness lapse,
// or waits for it), b's keep-alives report the stream vacated, once.
func RunOccupancyNodeLoss(t *testing.T, a, b broker.Occupancy, stop func()) {
	ctx := context.Background()
	if _, err := b.OccupancyKeepAlive(ctx); err != nil {
		t.Fatal(err)
	}
	if ok, err := a.OccupancyAdd(ctx, "left-behind"); err != nil || !ok {
		t.Fatalf("add: %v %v", ok, err)
	}
	if _, err := b.OccupancyAdd(ctx, "kept"); err != nil {
		t.Fatal(err)
	}
	stop()
	var vacated []string
	deadline := time.Now().Add(30 * time.Second)
	for len(vacated) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the stopped node's stream was never vacated")
		}
		got, err := b.OccupancyKeepAlive(ctx)
		if err != nil {
			t.Fatal(err)
		}
		vacated = got
		time.Sleep(100 * time.Millisecond)
	}
	if !slices.Equal(vacated, []string{"left-behind"}) {
		t.Fatalf("vacated %v, want [left-behind]", vacated)
	}
	if again, err := b.OccupancyKeepAlive(ctx); err != nil || len(again) != 0 {
		t.Fatalf("second keep-alive: %v %v, want nothing", again, err)
	}
	if ok, _ := b.IsOccupied(ctx, "left-behind"); ok {
		t.Fatal("the stopped node's stream is still occupied")
	}
	if ok, _ := b.IsOccupied(ctx, "kept"); !ok {
		t.Fatal("the live node's stream was cleared")
	}
}
