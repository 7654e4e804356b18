package memory

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/densecable/densecable/broker"
)

// FuzzHistoryRequests runs random store / history / clock sequences: no
// panic, only the documented errors, and every answer is the dense,
// ordered run of offsets after the requested one.
func FuzzHistoryRequests(f *testing.F) {
	f.Add([]byte{0, 0, 0, 2, 0, 1})
	f.Add([]byte{0, 1, 0, 1, 0, 1, 2, 1, 3, 2, 4, 0, 5, 200})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 3, 0})
	f.Add([]byte{0, 0, 4, 50, 2, 0, 0, 0, 2, 1, 4, 255, 2, 0})
	f.Add([]byte{1, 0, 2, 0, 5, 0, 2, 9})
	f.Fuzz(func(t *testing.T, ops []byte) {
		opts := broker.Options{HistoryLimit: 5, HistoryTTL: 3, SessionsTTL: 1, PresenceTTL: 1}
		b, clock := newTestBroker(opts)
		ctx := context.Background()
		latest := map[string]uint64{} // what the model expects, until a stream is deleted
		names := []string{"a", "b", ""}
		for i := 0; i+1 < len(ops); i += 2 {
			op, arg := ops[i]%6, ops[i+1]
			name := names[int(arg)%len(names)]
			switch op {
			case 0, 1: // store, transient or not
				p := broker.Publication{Stream: name, Data: "d", Meta: broker.Meta{Transient: op == 1}}
				if err := b.Store(ctx, &p); err != nil {
					t.Fatal(err)
				}
				if op == 1 {
					if p.Offset != 0 {
						t.Fatalf("transient got offset %d", p.Offset)
					}
					continue
				}
				if p.Offset != latest[name]+1 && p.Offset != 1 {
					t.Fatalf("offset %d after %d", p.Offset, latest[name])
				}
				latest[name] = p.Offset
			case 2, 3: // history from an offset near the latest
				epoch := b.Epoch()
				if op == 3 && arg&8 != 0 {
					epoch = "zzzz"
				}
				from := uint64(arg >> 2)
				pubs, err := b.HistoryFrom(ctx, name, epoch, from)
				checkHistoryFrom(t, pubs, err, from)
				if err == nil && len(pubs) > 0 && pubs[len(pubs)-1].Offset != latest[name] {
					t.Fatalf("history ends at %d, latest is %d", pubs[len(pubs)-1].Offset, latest[name])
				}
			case 4: // history since
				pubs, err := b.HistorySince(ctx, name, clock.Now().Unix()-int64(arg%8))
				if err != nil {
					t.Fatal(err)
				}
				for j := 1; j < len(pubs); j++ {
					if pubs[j].Offset != pubs[j-1].Offset+1 {
						t.Fatalf("since: offsets %d then %d", pubs[j-1].Offset, pubs[j].Offset)
					}
				}
			case 5: // time passes
				clock.Advance(time.Duration(arg%40) * time.Second)
				b.Sweep()
				for n := range latest {
					if _, err := b.HistoryFrom(ctx, n, b.Epoch(), latest[n]); errors.Is(err, broker.ErrStreamNotFound) {
						delete(latest, n)
					}
				}
			}
		}
	})
}

func checkHistoryFrom(t *testing.T, pubs []broker.Publication, err error, from uint64) {
	t.Helper()
	if err != nil {
		if pubs != nil {
			t.Fatalf("error %v with %d publications", err, len(pubs))
		}
		if !errors.Is(err, broker.ErrUnknownEpoch) && !errors.Is(err, broker.ErrStreamNotFound) && !errors.Is(err, broker.ErrOffsetOutOfRange) {
			t.Fatalf("undocumented error %v", err)
		}
		return
	}
	for j, p := range pubs {
		if p.Offset != from+uint64(j)+1 {
			t.Fatalf("history from %d: entry %d has offset %d", from, j, p.Offset)
		}
	}
}
