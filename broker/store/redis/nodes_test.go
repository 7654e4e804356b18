package redisstore

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/densecable/densecable/broker"
)

// Two nodes on one Redis: what one stores the other serves, under one
// epoch, with one offset sequence per stream.
func TestNodesShareHistory(t *testing.T) {
	t.Parallel()
	c := newClient(t, sharedURL)
	prefix := testPrefix(t, c)
	a := startNode(t, c, prefix, nodeOpts{opts: broker.DefaultOptions()})
	b := startNode(t, c, prefix, nodeOpts{opts: broker.DefaultOptions()})
	if a.Epoch() == "" || a.Epoch() != b.Epoch() {
		t.Fatalf("epochs at start: %q and %q", a.Epoch(), b.Epoch())
	}
	ctx := context.Background()
	var epoch string
	for i := 1; i <= 6; i++ {
		n := a
		if i%2 == 0 {
			n = b
		}
		p := broker.Publication{Stream: "chat", Data: fmt.Sprintf("m%d", i)}
		if err := n.Store(ctx, &p); err != nil {
			t.Fatal(err)
		}
		if p.Offset != uint64(i) || p.Epoch != a.Epoch() {
			t.Fatalf("store %d on node %d: offset %d epoch %q", i, 2-i%2, p.Offset, p.Epoch)
		}
		epoch = p.Epoch
	}
	for _, n := range []*node{a, b} {
		pubs, err := n.HistoryFrom(ctx, "chat", epoch, 3)
		if err != nil {
			t.Fatal(err)
		}
		var data []string
		for _, p := range pubs {
			data = append(data, p.Data)
		}
		if !slices.Equal(data, []string{"m4", "m5", "m6"}) {
			t.Fatalf("history on a node: %v", data)
		}
	}
}

// The first node creates the epoch; a node started later adopts it.
func TestEpochIsCreatedOnce(t *testing.T) {
	t.Parallel()
	c := newClient(t, sharedURL)
	prefix := testPrefix(t, c)
	a := startNode(t, c, prefix, nodeOpts{opts: broker.DefaultOptions()})
	stored, err := c.Do(context.Background(), c.B().Get().Key(prefix+"epoch").Build()).ToString()
	if err != nil || stored != a.Epoch() {
		t.Fatalf("epoch key %q (%v), node says %q", stored, err, a.Epoch())
	}
	for range 3 {
		if b := startNode(t, c, prefix, nodeOpts{opts: broker.DefaultOptions()}); b.Epoch() != stored {
			t.Fatalf("a later node took epoch %q, not %q", b.Epoch(), stored)
		}
	}
	// Another namespace is another epoch space.
	other := startNode(t, c, testPrefix(t, c), nodeOpts{opts: broker.DefaultOptions()})
	p := broker.Publication{Stream: "chat", Data: "x"}
	if err := other.Store(context.Background(), &p); err != nil {
		t.Fatal(err)
	}
	if _, err := a.HistoryFrom(context.Background(), "chat", p.Epoch, 0); err == nil {
		t.Fatal("a stream of another prefix was visible")
	}
}

// A session committed on one node restores on the other.
func TestNodesShareSessions(t *testing.T) {
	t.Parallel()
	c := newClient(t, sharedURL)
	prefix := testPrefix(t, c)
	a := startNode(t, c, prefix, nodeOpts{opts: broker.DefaultOptions()})
	b := startNode(t, c, prefix, nodeOpts{opts: broker.DefaultOptions()})
	ctx := context.Background()
	snap := []byte("{\"ids\":\"{\\\"user\\\":1}\",\"bin\":\"\x00\xff\"}")
	if err := a.CommitSession(ctx, "sid-1", snap); err != nil {
		t.Fatal(err)
	}
	got, err := b.RestoreSession(ctx, "sid-1")
	if err != nil || string(got) != string(snap) {
		t.Fatalf("restore on the other node: %q, %v", got, err)
	}
	if err := b.TouchSession(ctx, "sid-1"); err != nil {
		t.Fatal(err)
	}
	ttl, err := c.Do(ctx, c.B().Ttl().Key(prefix+"s:sid-1").Build()).AsInt64()
	if err != nil || ttl <= 0 || ttl > 300 {
		t.Fatalf("session TTL %d (%v), want (0, 300]", ttl, err)
	}
}

// Presence joined on either node is one set: one join per id, the leave
// when the last session (on any node) goes.
func TestNodesSharePresence(t *testing.T) {
	t.Parallel()
	c := newClient(t, sharedURL)
	prefix := testPrefix(t, c)
	a := startNode(t, c, prefix, nodeOpts{opts: broker.DefaultOptions()})
	b := startNode(t, c, prefix, nodeOpts{opts: broker.DefaultOptions()})
	ctx := context.Background()
	ev, err := a.PresenceAdd(ctx, "room", "sa", "u1", []byte(`{"name":"Ann"}`))
	if err != nil || ev == nil || ev.Type != "join" {
		t.Fatalf("join on A: %+v, %v", ev, err)
	}
	if ev, err := b.PresenceAdd(ctx, "room", "sb", "u1", []byte(`{"name":"Ann"}`)); err != nil || ev != nil {
		t.Fatalf("same id on B: %+v, %v; want no event", ev, err)
	}
	if ev, err := b.PresenceAdd(ctx, "room", "sc", "u2", []byte(`{}`)); err != nil || ev == nil {
		t.Fatalf("new id on B: %+v, %v", ev, err)
	}
	for _, n := range []*node{a, b} {
		info, err := n.PresenceInfo(ctx, "room")
		if err != nil || info.Total != 2 || info.Records[0].ID != "u1" || string(info.Records[0].Info) != `{"name":"Ann"}` {
			t.Fatalf("presence seen from a node: %+v, %v", info, err)
		}
	}
	if ev, err := b.PresenceRemove(ctx, "room", "sa"); err != nil || ev != nil {
		t.Fatalf("B removes A's session, B's remains: %+v, %v", ev, err)
	}
	if ev, err := a.PresenceRemove(ctx, "room", "sb"); err != nil || ev == nil || ev.ID != "u1" {
		t.Fatalf("last u1 session leaves: %+v, %v", ev, err)
	}
}

// Expired presence is reported once across nodes, however their sweeps
// interleave.
func TestExpiryLeaveOnceAcrossNodes(t *testing.T) {
	t.Parallel()
	c := newClient(t, sharedURL)
	prefix := testPrefix(t, c)
	opts := broker.DefaultOptions()
	opts.PresenceTTL = 1
	// Small batches, so that the sweeps take several rounds and overlap.
	mk := func() *node {
		log := &expiryLog{}
		b := NewWithConfig(c, Config{Options: opts, Prefix: prefix, SweepInterval: time.Hour, SweepBatch: 3}, log.record, nil)
		return &node{Broker: b, expired: log}
	}
	a, b := mk(), mk()
	ctx := context.Background()
	const streams, sessions = 10, 12
	for s := range streams {
		for i := range sessions {
			// Two sessions per id: one leave per id and stream.
			id := fmt.Sprintf("u%d", i/2)
			if _, err := a.PresenceAdd(ctx, fmt.Sprintf("room%d", s), fmt.Sprintf("s%d", i), id, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	time.Sleep(1100 * time.Millisecond)
	var wg sync.WaitGroup
	for _, n := range []*node{a, b, a, b} {
		wg.Go(func() {
			for range 5 {
				if err := n.Sweep(ctx); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	all := append(a.expired.all(), b.expired.all()...)
	slices.Sort(all)
	if len(all) != streams*sessions/2 {
		t.Fatalf("%d leave events, want %d (one per id and stream): %v", len(all), streams*sessions/2, all)
	}
	if len(slices.Compact(all)) != len(all) {
		t.Fatalf("a leave was reported twice: %v", all)
	}
	if len(a.expired.all()) == 0 || len(b.expired.all()) == 0 {
		t.Logf("one node did all the work (%d / %d)", len(a.expired.all()), len(b.expired.all()))
	}
	// Nothing is left: no presence keys, no due index, no member sets.
	if left := prefixKeys(t, c, prefix); len(left) > 1 { // the epoch key stays
		t.Fatalf("keys left after everything expired: %v", left)
	}
}

// The running sweeper expires presence by itself.
func TestSweeperLoop(t *testing.T) {
	t.Parallel()
	c := newClient(t, sharedURL)
	prefix := testPrefix(t, c)
	opts := broker.DefaultOptions()
	opts.PresenceTTL = 1
	a := startNode(t, c, prefix, nodeOpts{opts: opts, interval: 50 * time.Millisecond})
	if _, err := a.PresenceAdd(context.Background(), "room", "s1", "u1", nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(waitFor)
	for len(a.expired.all()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the sweeper never expired the presence")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := a.expired.all(); !slices.Equal(got, []string{"room/leave/u1"}) {
		t.Fatalf("expired %v", got)
	}
}
