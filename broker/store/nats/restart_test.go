package natsstore

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/broker/testservers"
)

// storeEventually retries Store while the connection comes back.
func storeEventually(t *testing.T, b *Broker, stream, data string) broker.Publication {
	t.Helper()
	var p broker.Publication
	eventually(t, "a publication to be stored", func() bool {
		p = broker.Publication{Stream: stream, Data: data}
		ctx, cancel := context.WithTimeout(bg, time.Second)
		defer cancel()
		return b.Store(ctx, &p) == nil
	})
	return p
}

// After a NATS restart with its data, history, offsets, epoch and sessions
// carry on.
func TestNATSRestartKeepsState(t *testing.T) {
	t.Parallel()
	srv := startJSServer(t)
	b := startBroker(t, srv.url(), uniquePrefix(), broker.DefaultOptions(), nil)
	epoch := b.Epoch()
	for _, d := range []string{"1", "2", "3"} {
		store(t, b, "s", d)
	}
	if err := b.CommitSession(bg, "sid", []byte("snap")); err != nil {
		t.Fatal(err)
	}
	srv.restart(true)
	if p := storeEventually(t, b, "s", "4"); p.Offset != 4 || p.Epoch != epoch {
		t.Fatalf("after restart: offset %d epoch %s (was %s)", p.Offset, p.Epoch, epoch)
	}
	got, err := b.HistorySince(bg, "s", 0)
	if err != nil || !slices.Equal(offsets(got), seq(1, 4)) {
		t.Fatalf("history: %v %v", offsets(got), err)
	}
	if snap, err := b.RestoreSession(bg, "sid"); err != nil || string(snap) != "snap" {
		t.Fatalf("session: %q %v", snap, err)
	}
}

// A NATS that comes back empty gets the resources recreated, with a new
// epoch, so clients' old offsets are rejected rather than misread.
func TestNATSRestartWithoutDataRecreates(t *testing.T) {
	t.Parallel()
	srv := startJSServer(t)
	prefix := uniquePrefix()
	b := startBroker(t, srv.url(), prefix, broker.DefaultOptions(), nil)
	// other sees the loss only through what b recreated.
	other := startBroker(t, srv.url(), prefix, longTTL, nil)
	old := b.Epoch()
	store(t, b, "s", "1")
	store(t, other, "s", "2")
	srv.restart(false)
	p := storeEventually(t, b, "s", "fresh")
	if p.Offset != 1 || p.Epoch == old || p.Epoch != b.Epoch() {
		t.Fatalf("after data loss: offset %d epoch %s (old %s)", p.Offset, p.Epoch, old)
	}
	q := storeEventually(t, other, "s", "from the other node")
	if q.Offset != 2 || q.Epoch != p.Epoch || other.Epoch() != p.Epoch {
		t.Fatalf("the other node: offset %d epoch %s, want 2 and %s", q.Offset, q.Epoch, p.Epoch)
	}
	got, err := other.HistoryFrom(bg, "s", p.Epoch, 1)
	if err != nil || len(got) != 1 || got[0].Data != "from the other node" || got[0].Epoch != p.Epoch {
		t.Fatalf("history on the other node: %+v %v", got, err)
	}
	if _, err := b.HistoryFrom(bg, "s", old, 2); !errors.Is(err, broker.ErrUnknownEpoch) {
		t.Fatalf("old epoch: %v", err)
	}
	if ev, err := b.PresenceAdd(bg, "room", "s1", "u1", nil); err != nil || ev == nil {
		t.Fatalf("presence after data loss: %+v %v", ev, err)
	}
}

// The first publication of a stream expects the subject to be empty
// (expected last subject sequence 0); the server must refuse a second one,
// or two nodes could both hand out offset 1.
func TestServerRefusesSecondFirstPublication(t *testing.T) {
	testservers.RequireShared(t, testservers.SharedNATSAddr, "NATS")
	b := startBroker(t, sharedURL, uniquePrefix(), broker.DefaultOptions(), nil)
	subject := b.names.historySubject("first")
	for i, wantErr := range []bool{false, true} {
		msg := &nats.Msg{Subject: subject, Data: []byte("x"), Header: nats.Header{hdrOffset: {"1"}}}
		_, err := b.js.PublishMsg(bg, msg, jetstream.WithExpectLastSequencePerSubject(0))
		if wantErr != (err != nil) || wantErr && !isWrongLastSeq(err) {
			t.Fatalf("publication %d: %v", i+1, err)
		}
	}
}
