package redisstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/broker/testservers"
)

// Redis (without persistence) restarts: the broker fails while it is away,
// then works again by itself under a new epoch; requests with the old
// epoch are refused rather than answered from the empty new history.
func TestRedisRestart(t *testing.T) {
	t.Parallel()
	srv := testservers.StartRedis(t)
	c := newClient(t, "redis://"+srv.Addr())
	opts := broker.DefaultOptions()
	opts.PresenceTTL = 1
	a := startNode(t, c, DefaultPrefix, nodeOpts{opts: opts, interval: 50 * time.Millisecond})
	ctx := context.Background()

	old := broker.Publication{Stream: "chat", Data: "before"}
	if err := a.Store(ctx, &old); err != nil {
		t.Fatal(err)
	}
	if _, err := a.PresenceAdd(ctx, "room", "s1", "u1", nil); err != nil {
		t.Fatal(err)
	}

	srv.Kill()
	short, cancel := context.WithTimeout(ctx, 2*time.Second)
	err := a.Store(short, &broker.Publication{Stream: "chat", Data: "lost"})
	cancel()
	if err == nil {
		t.Fatal("Store succeeded with Redis down")
	}
	srv.Start()

	var p broker.Publication
	deadline := time.Now().Add(waitFor)
	for {
		p = broker.Publication{Stream: "chat", Data: "after"}
		if err := a.Store(ctx, &p); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("the broker did not recover: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if p.Offset != 1 || p.Epoch == old.Epoch || p.Epoch == "" {
		t.Fatalf("after the restart: offset %d epoch %q (old epoch %q); want offset 1 under a new epoch", p.Offset, p.Epoch, old.Epoch)
	}
	if _, err := a.HistoryFrom(ctx, "chat", old.Epoch, old.Offset); !errors.Is(err, broker.ErrUnknownEpoch) {
		t.Fatalf("old epoch after the restart: %v, want ErrUnknownEpoch", err)
	}
	pubs, err := a.HistoryFrom(ctx, "chat", p.Epoch, 0)
	if !errors.Is(err, broker.ErrOffsetOutOfRange) || pubs != nil {
		t.Fatalf("new epoch from 0: %v, %v", pubs, err)
	}
	if err := a.CommitSession(ctx, "s2", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if got, err := a.RestoreSession(ctx, "s2"); err != nil || string(got) != "x" {
		t.Fatalf("sessions after the restart: %q, %v", got, err)
	}
	// Presence starts over: the old set is gone (no leave: nobody to tell
	// about a set Redis forgot), new joins work and expire.
	if ev, err := a.PresenceAdd(ctx, "room", "s3", "u3", nil); err != nil || ev == nil {
		t.Fatalf("join after the restart: %+v, %v", ev, err)
	}
	for time.Now().Before(deadline) && len(a.expired.all()) == 0 {
		time.Sleep(20 * time.Millisecond)
	}
	if got := a.expired.all(); len(got) != 1 || got[0] != "room/leave/u3" {
		t.Fatalf("expired after the restart: %v", got)
	}
}
