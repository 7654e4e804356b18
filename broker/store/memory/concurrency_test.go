package memory

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/densecable/densecable/broker"
)

// Stream names spread over the shards, so stores to different streams
// rarely share a mutex.
func TestStreamsSpreadOverShards(t *testing.T) {
	hit := map[uint32]int{}
	for i := range 4096 {
		hit[shardOf(fmt.Sprintf("chat_%d", i))]++
	}
	if len(hit) != shardCount {
		t.Fatalf("4096 streams hit %d of %d shards", len(hit), shardCount)
	}
	for s, n := range hit {
		if n > 4096/shardCount*2 {
			t.Fatalf("shard %d got %d of 4096 streams", s, n)
		}
	}
}

// Everything at once, for the race detector; per-stream offsets stay dense.
func TestConcurrentUse(t *testing.T) {
	opts := broker.Options{HistoryLimit: 1000, HistoryTTL: 1, SessionsTTL: 1, PresenceTTL: 1}
	b, clock := newTestBroker(opts)
	b.onExpire = func(string, []broker.PresenceEvent) {}
	ctx := context.Background()
	var wg sync.WaitGroup
	const workers, rounds = 8, 200
	for w := range workers {
		wg.Go(func() {
			stream := fmt.Sprintf("s%d", w%3)
			sid := fmt.Sprintf("sid%d", w)
			var last uint64
			for i := range rounds {
				p := broker.Publication{Stream: stream, Data: "x"}
				if err := b.Store(ctx, &p); err != nil {
					t.Error(err)
					return
				}
				if p.Offset <= last {
					t.Errorf("offset went from %d to %d", last, p.Offset)
				}
				last = p.Offset
				_, _ = b.HistoryFrom(ctx, stream, p.Epoch, p.Offset-1)
				_, _ = b.HistorySince(ctx, stream, 0)
				_ = b.CommitSession(ctx, sid, []byte("x"))
				_, _ = b.RestoreSession(ctx, sid)
				_, _ = b.PresenceAdd(ctx, stream, sid, fmt.Sprintf("u%d", w%2), nil)
				_ = b.TouchPresence(ctx, sid)
				_, _ = b.PresenceInfo(ctx, stream)
				if i%7 == 0 {
					_, _ = b.PresenceRemove(ctx, stream, sid)
				}
				if w == 0 && i%20 == 0 {
					clock.Advance(time.Second)
					b.Sweep()
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkStoreParallel(b *testing.B) {
	br := New(broker.DefaultOptions(), nil, nil)
	var n int64
	var mu sync.Mutex
	b.RunParallel(func(pb *testing.PB) {
		mu.Lock()
		n++
		stream := fmt.Sprintf("stream-%d", n)
		mu.Unlock()
		p := broker.Publication{Stream: stream, Data: `{"text":"hello"}`}
		for pb.Next() {
			p.Epoch, p.Offset = "", 0
			_ = br.Store(context.Background(), &p)
		}
	})
}
