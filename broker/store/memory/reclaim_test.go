package memory

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/densecable/densecable/broker"
)

// shardSizes sums the entries of all shard maps and returns the largest
// peak (the size a map was allocated for, at most).
func (b *Broker) shardSizes() (entries, maxPeak int) {
	for i := range shardCount {
		b.streams[i].mu.RLock()
		entries += len(b.streams[i].m)
		maxPeak = max(maxPeak, b.streams[i].peak)
		b.streams[i].mu.RUnlock()
		b.sessions[i].mu.Lock()
		entries += len(b.sessions[i].m)
		maxPeak = max(maxPeak, b.sessions[i].peak)
		b.sessions[i].mu.Unlock()
		b.presence[i].mu.Lock()
		entries += len(b.presence[i].m)
		maxPeak = max(maxPeak, b.presence[i].peak)
		b.presence[i].mu.Unlock()
		b.members[i].mu.Lock()
		entries += len(b.members[i].m)
		maxPeak = max(maxPeak, b.members[i].peak)
		b.members[i].mu.Unlock()
	}
	return entries, maxPeak
}

// fill creates n streams with history, n cached sessions and n presence
// members, each with a payload of size bytes.
func fill(t *testing.T, b *Broker, n, size int) {
	t.Helper()
	ctx := context.Background()
	payload := strings.Repeat("x", size)
	for i := range n {
		name := fmt.Sprintf("stream-%d", i)
		sid := fmt.Sprintf("sid-%d", i)
		for range 3 {
			// Distinct strings, as real publications would be.
			p := broker.Publication{Stream: name, Data: payload[:size-1] + "y"}
			if err := b.Store(ctx, &p); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.CommitSession(ctx, sid, []byte(payload)); err != nil {
			t.Fatal(err)
		}
		if _, err := b.PresenceAdd(ctx, name, sid, "u", []byte(payload)); err != nil {
			t.Fatal(err)
		}
	}
}

// Expired streams, sessions and presence leave the maps, and the shard maps
// are rebuilt small once they shrank (Go maps keep their buckets).
func TestExpiredDataLeavesTheMaps(t *testing.T) {
	opts := broker.Options{HistoryLimit: 10, HistoryTTL: 1, SessionsTTL: 1, PresenceTTL: 1}
	b, clock := newTestBroker(opts)
	const n = shardCount * shrinkMinPeak * 2
	fill(t, b, n, 16)
	if entries, maxPeak := b.shardSizes(); entries != 4*n || maxPeak < shrinkMinPeak {
		t.Fatalf("%d map entries (largest peak %d) after fill, want %d", entries, maxPeak, 4*n)
	}
	clock.Advance(11 * time.Second)
	b.Sweep()
	entries, maxPeak := b.shardSizes()
	if entries != 0 {
		t.Fatalf("%d map entries left after everything expired", entries)
	}
	if maxPeak >= shrinkMinPeak {
		t.Fatalf("a shard map still sized for %d entries", maxPeak)
	}
}

// The heap returns to about where it was once everything expired.
func TestExpiredDataIsCollected(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates ~30 MB")
	}
	opts := broker.Options{HistoryLimit: 10, HistoryTTL: 1, SessionsTTL: 1, PresenceTTL: 1}
	b, clock := newTestBroker(opts)
	before := heapInUse()
	fill(t, b, 10_000, 512)
	full := heapInUse()
	if full-before < 20<<20 {
		t.Fatalf("fill grew the heap by only %d bytes: the test measures nothing", full-before)
	}
	clock.Advance(11 * time.Second)
	b.Sweep()
	after := heapInUse()
	// Allow a tenth of what was added (runtime noise, map headers).
	if after-before > (full-before)/10 {
		t.Fatalf("heap %d → %d → %d: expired data still held", before, full, after)
	}
	runtime.KeepAlive(b)
}

func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapInuse)
}
