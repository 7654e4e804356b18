package memory

import (
	"context"
	"slices"
	"testing"
)

// One node: add and remove report their transitions once; listing is
// sorted, prefixed and bounded.
func TestOccupancy(t *testing.T) {
	ctx := context.Background()
	o := NewOccupancy()
	if ok, _ := o.OccupancyAdd(ctx, "a"); !ok {
		t.Fatal("first add: want occupied")
	}
	if ok, _ := o.OccupancyAdd(ctx, "a"); ok {
		t.Fatal("second add: want no transition")
	}
	for _, s := range []string{"private-b", "private-a", "c"} {
		_, _ = o.OccupancyAdd(ctx, s)
	}
	if got, _ := o.OccupiedStreams(ctx, "private-", 1); !slices.Equal(got, []string{"private-a"}) {
		t.Fatalf("OccupiedStreams = %v", got)
	}
	if ok, _ := o.OccupancyRemove(ctx, "a"); !ok {
		t.Fatal("remove: want vacated")
	}
	if ok, _ := o.OccupancyRemove(ctx, "a"); ok {
		t.Fatal("second remove: want no transition")
	}
	if ok, _ := o.IsOccupied(ctx, "a"); ok {
		t.Fatal("vacated stream still occupied")
	}
}
