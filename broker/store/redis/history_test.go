package redisstore

import (
	"context"
	"fmt"
	"testing"

	"github.com/densecable/densecable/broker"
)

// History keys expire: entries history_ttl after the last add, the offset
// counter ten times later.
func TestHistoryKeyTTLs(t *testing.T) {
	t.Parallel()
	c := newClient(t, sharedURL)
	n := startNode(t, c, testPrefix(t, c), nodeOpts{opts: broker.DefaultOptions()})
	ctx := context.Background()
	if err := n.Store(ctx, &broker.Publication{Stream: "chat", Data: "x"}); err != nil {
		t.Fatal(err)
	}
	for k, limit := range map[string]int64{n.keys.entries("chat"): 300_000, n.keys.meta("chat"): 3_000_000} {
		ttl, err := c.Do(ctx, c.B().Pttl().Key(k).Build()).AsInt64()
		if err != nil || ttl <= limit-60_000 || ttl > limit {
			t.Fatalf("%s: PTTL %d (%v), want about %d", k, ttl, err, limit)
		}
	}
}

// The Redis Stream is trimmed (approximately, which is cheap), and reads
// serve exactly the newest history_limit entries.
func TestHistoryTrimmed(t *testing.T) {
	t.Parallel()
	c := newClient(t, sharedURL)
	opts := broker.DefaultOptions()
	opts.HistoryLimit = 10
	n := startNode(t, c, testPrefix(t, c), nodeOpts{opts: opts})
	ctx := context.Background()
	var p broker.Publication
	for i := 1; i <= 500; i++ {
		p = broker.Publication{Stream: "chat", Data: fmt.Sprintf("m%d", i)}
		if err := n.Store(ctx, &p); err != nil {
			t.Fatal(err)
		}
	}
	xlen, err := c.Do(ctx, c.B().Xlen().Key(n.keys.entries("chat")).Build()).AsInt64()
	if err != nil || xlen < 10 || xlen > 250 {
		t.Fatalf("XLEN %d (%v): not trimmed near the limit", xlen, err)
	}
	since, err := n.HistorySince(ctx, "chat", 0)
	if err != nil || len(since) != 10 || since[0].Offset != 491 {
		t.Fatalf("since 0: %d entries from %d, %v; want the last 10", len(since), since[0].Offset, err)
	}
	if _, err := n.HistoryFrom(ctx, "chat", p.Epoch, 490); err == nil {
		t.Fatal("an offset beyond history_limit was served")
	}
	pubs, err := n.HistoryFrom(ctx, "chat", p.Epoch, 491)
	if err != nil || len(pubs) != 9 || pubs[8].Data != "m500" {
		t.Fatalf("from the lowest retained: %d entries, %v", len(pubs), err)
	}
}

// In cluster mode the epoch key would sit in another slot than the
// stream: each stream then gets its own epoch when it is created.
func TestPerStreamEpochWithoutEpochKey(t *testing.T) {
	t.Parallel()
	c := newClient(t, sharedURL)
	prefix := testPrefix(t, c)
	n := NewWithConfig(c, Config{Options: broker.DefaultOptions(), Prefix: prefix}, nil, nil)
	n.globalEpoch = false
	ctx := context.Background()
	p1 := broker.Publication{Stream: "a", Data: "x"}
	p2 := broker.Publication{Stream: "a", Data: "y"}
	for _, p := range []*broker.Publication{&p1, &p2} {
		if err := n.Store(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	if p1.Epoch == "" || p1.Epoch != p2.Epoch || p2.Offset != 2 {
		t.Fatalf("one stream: %+v then %+v", p1, p2)
	}
	if pubs, err := n.HistoryFrom(ctx, "a", p1.Epoch, 1); err != nil || len(pubs) != 1 {
		t.Fatalf("history under the stream's epoch: %v, %v", pubs, err)
	}
	if ok, _ := c.Do(ctx, c.B().Exists().Key(prefix+"epoch").Build()).AsBool(); ok {
		t.Fatal("the epoch key was written in cluster mode")
	}
}
