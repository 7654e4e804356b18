package memory

import (
	"slices"
	"testing"
)

func ringOffsets(r *ring) []uint64 {
	out := make([]uint64, r.len())
	for i := range out {
		out[i] = r.at(i).offset
	}
	return out
}

func TestRingKeepsTheLastLimitEntries(t *testing.T) {
	var r ring
	for i := uint64(1); i <= 11; i++ {
		r.push(entry{offset: i}, 5)
		if r.len() > 5 || len(r.buf) > 5 {
			t.Fatalf("after %d pushes: %d entries in a buffer of %d (limit 5)", i, r.len(), len(r.buf))
		}
	}
	if got := ringOffsets(&r); !slices.Equal(got, []uint64{7, 8, 9, 10, 11}) {
		t.Fatalf("offsets %v", got)
	}
}

func TestRingGrowsOnDemand(t *testing.T) {
	var r ring
	r.push(entry{offset: 1}, 100)
	if len(r.buf) != ringMinCap {
		t.Fatalf("one entry allocated %d slots", len(r.buf))
	}
	for i := uint64(2); i <= 9; i++ {
		r.push(entry{offset: i}, 100)
	}
	if len(r.buf) != 16 || r.len() != 9 {
		t.Fatalf("cap %d len %d", len(r.buf), r.len())
	}
}

func TestRingDropGivesMemoryBack(t *testing.T) {
	var r ring
	for i := uint64(1); i <= 64; i++ {
		r.push(entry{offset: i, data: "payload"}, 64)
	}
	r.dropOldest(60)
	if got := ringOffsets(&r); !slices.Equal(got, []uint64{61, 62, 63, 64}) {
		t.Fatalf("offsets %v", got)
	}
	if len(r.buf) >= 64 {
		t.Fatalf("buffer not shrunk: cap %d for %d entries", len(r.buf), r.len())
	}
	r.dropOldest(10) // more than held
	if r.len() != 0 || r.buf != nil {
		t.Fatalf("empty ring keeps a buffer of %d", len(r.buf))
	}
	r.push(entry{offset: 65}, 64)
	if got := ringOffsets(&r); !slices.Equal(got, []uint64{65}) {
		t.Fatalf("after refill: %v", got)
	}
}

// Dropped slots are cleared so their strings can be collected.
func TestRingClearsDroppedSlots(t *testing.T) {
	var r ring
	for i := uint64(1); i <= 4; i++ {
		r.push(entry{offset: i, data: "payload"}, 4)
	}
	r.dropOldest(1)
	for i, e := range r.buf {
		held := false
		for j := 0; j < r.len(); j++ {
			if &r.buf[(r.head+j)%len(r.buf)] == &r.buf[i] {
				held = true
			}
		}
		if !held && e.data != "" {
			t.Fatalf("slot %d still references %q", i, e.data)
		}
	}
}

func TestRingWrapsAfterDrop(t *testing.T) {
	var r ring
	for i := uint64(1); i <= 4; i++ {
		r.push(entry{offset: i}, 8)
	}
	r.dropOldest(2)
	for i := uint64(5); i <= 10; i++ {
		r.push(entry{offset: i}, 8)
	}
	if got := ringOffsets(&r); !slices.Equal(got, []uint64{3, 4, 5, 6, 7, 8, 9, 10}) {
		t.Fatalf("offsets %v", got)
	}
}
