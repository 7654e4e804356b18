package memory

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/densecable/densecable/broker"
)

func newTestBroker(opts broker.Options) (*Broker, *fakeClock) {
	clock := newFakeClock()
	return NewWithConfig(Config{Options: opts, Now: clock.Now}, nil, nil), clock
}

func mustStore(t *testing.T, b *Broker, stream string) broker.Publication {
	t.Helper()
	p := broker.Publication{Stream: stream, Data: "x"}
	if err := b.Store(context.Background(), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEpochLooksLikeANanoid(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		e := New(broker.DefaultOptions(), nil, nil).Epoch()
		if len(e) != 4 || strings.Trim(e, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != "" {
			t.Fatalf("epoch %q is not 4 characters of A-Za-z0-9_-", e)
		}
		seen[e] = true
	}
	if len(seen) < 45 {
		t.Fatalf("only %d distinct epochs in 50 starts", len(seen))
	}
}

// A stream idle for 10×history_ttl is deleted: offsets restart at 1 under
// the same epoch, and a request for the old stream finds nothing.
func TestIdleStreamIsDeleted(t *testing.T) {
	opts := broker.DefaultOptions()
	opts.HistoryTTL = 2
	b, clock := newTestBroker(opts)
	ctx := context.Background()
	mustStore(t, b, "a")
	p := mustStore(t, b, "a")

	clock.Advance(20 * time.Second) // exactly 10×ttl: kept
	b.Sweep()
	if _, err := b.HistoryFrom(ctx, "a", p.Epoch, 2); err != nil {
		t.Fatalf("stream deleted at 10×ttl: %v", err)
	}
	clock.Advance(time.Second)
	b.Sweep()
	if _, err := b.HistoryFrom(ctx, "a", p.Epoch, 2); !errors.Is(err, broker.ErrStreamNotFound) {
		t.Fatalf("idle stream: %v, want ErrStreamNotFound", err)
	}
	if q := mustStore(t, b, "a"); q.Offset != 1 || q.Epoch != p.Epoch {
		t.Fatalf("recreated stream: offset %d epoch %q", q.Offset, q.Epoch)
	}
}

// Entries are trimmed when more than history_ttl whole seconds old.
func TestEntryTTLInWholeSeconds(t *testing.T) {
	opts := broker.DefaultOptions()
	opts.HistoryTTL = 3
	b, clock := newTestBroker(opts) // starts at x.5 s
	ctx := context.Background()
	mustStore(t, b, "a")
	clock.Advance(3 * time.Second) // 3 whole seconds later
	b.Sweep()
	if pubs, _ := b.HistorySince(ctx, "a", 0); len(pubs) != 1 {
		t.Fatalf("entry exactly ttl old was trimmed")
	}
	clock.Advance(time.Second)
	b.Sweep()
	if pubs, _ := b.HistorySince(ctx, "a", 0); len(pubs) != 0 {
		t.Fatalf("entry older than ttl kept: %+v", pubs)
	}
}

// Trimming by age keeps the newer entries; the lowest retained offset
// moves up, and requests below it fail.
func TestPartialTrim(t *testing.T) {
	opts := broker.DefaultOptions()
	opts.HistoryTTL = 5
	b, clock := newTestBroker(opts)
	ctx := context.Background()
	mustStore(t, b, "a")
	mustStore(t, b, "a")
	clock.Advance(3 * time.Second)
	epoch := mustStore(t, b, "a").Epoch
	mustStore(t, b, "a")
	clock.Advance(3 * time.Second)
	b.Sweep()
	if pubs, _ := b.HistorySince(ctx, "a", 0); len(pubs) != 2 || pubs[0].Offset != 3 {
		t.Fatalf("after trim: %+v, want offsets 3 and 4", pubs)
	}
	if _, err := b.HistoryFrom(ctx, "a", epoch, 2); !errors.Is(err, broker.ErrOffsetOutOfRange) {
		t.Fatalf("offset 2 after it was trimmed: %v", err)
	}
	pubs, err := b.HistoryFrom(ctx, "a", epoch, 3)
	if err != nil || len(pubs) != 1 || pubs[0].Offset != 4 {
		t.Fatalf("from the lowest retained: %+v, %v", pubs, err)
	}
}

func TestHistoryLimitZeroKeepsNothing(t *testing.T) {
	opts := broker.DefaultOptions()
	opts.HistoryLimit = 0
	b, _ := newTestBroker(opts)
	mustStore(t, b, "a")
	p := mustStore(t, b, "a")
	if p.Offset != 2 {
		t.Fatalf("offset %d, want 2", p.Offset)
	}
	if _, err := b.HistoryFrom(context.Background(), "a", p.Epoch, 1); !errors.Is(err, broker.ErrOffsetOutOfRange) {
		t.Fatalf("got %v, want ErrOffsetOutOfRange", err)
	}
}
