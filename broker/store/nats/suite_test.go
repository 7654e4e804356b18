package natsstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/densecable/densecable/broker"
)

// factory starts one node of a cluster: every call with the same prefix
// joins the same shared state.
type factory func(t *testing.T, prefix string, opts broker.Options, exp *expirations) *Broker

// runSuite runs the engine's contract (WIRE-FACTS §9-§11) on nodes made by
// newNode.
func runSuite(t *testing.T, newNode factory) {
	t.Run("offsets and history", func(t *testing.T) { testHistory(t, newNode) })
	t.Run("history limit", func(t *testing.T) { testHistoryLimit(t, newNode) })
	t.Run("offsets across nodes", func(t *testing.T) { testConcurrentNodes(t, newNode) })
	t.Run("sessions", func(t *testing.T) { testSessions(t, newNode) })
	t.Run("presence across nodes", func(t *testing.T) { testPresence(t, newNode) })
}

var bg = context.Background()

func store(t *testing.T, b *Broker, stream, data string) broker.Publication {
	t.Helper()
	p := broker.Publication{Stream: stream, Data: data, Meta: broker.Meta{BroadcastType: "t", ExcludeSocket: "sid-x"}}
	if err := b.Store(bg, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func offsets(pubs []broker.Publication) []uint64 {
	var out []uint64
	for _, p := range pubs {
		out = append(out, p.Offset)
	}
	return out
}

func seq(from, to uint64) []uint64 {
	var out []uint64
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func testHistory(t *testing.T, newNode factory) {
	b := newNode(t, uniquePrefix(), broker.DefaultOptions(), nil)
	epoch := b.Epoch()
	if len(epoch) != 4 {
		t.Fatalf("epoch %q", epoch)
	}
	stream := "chat/1 \"odd\" name ✓"
	var stored []broker.Publication
	for i := 1; i <= 12; i++ {
		p := store(t, b, stream, fmt.Sprintf(`{"n":%d}`, i))
		if p.Offset != uint64(i) || p.Epoch != epoch {
			t.Fatalf("publication %d got offset %d epoch %q", i, p.Offset, p.Epoch)
		}
		stored = append(stored, p)
	}
	tr := broker.Publication{Stream: stream, Data: "whisper", Meta: broker.Meta{Transient: true}}
	if err := b.Store(bg, &tr); err != nil || tr.Offset != 0 || tr.Epoch != "" {
		t.Fatalf("transient publication: offset %d epoch %q err %v", tr.Offset, tr.Epoch, err)
	}

	// From every offset: the walk-back (small gaps) and consumer (large
	// gaps) paths give the same, complete answer.
	if _, err := b.HistoryFrom(bg, stream, epoch, 0); !errors.Is(err, broker.ErrOffsetOutOfRange) {
		t.Fatalf("offset 0 (before the first): %v", err)
	}
	for from := uint64(1); from <= 12; from++ {
		got, err := b.HistoryFrom(bg, stream, epoch, from)
		if err != nil {
			t.Fatalf("from %d: %v", from, err)
		}
		if want := stored[from:]; !slices.Equal(got, want) {
			t.Fatalf("from %d:\n got %+v\nwant %+v", from, got, want)
		}
	}
	if _, err := b.HistoryFrom(bg, stream, epoch, 13); !errors.Is(err, broker.ErrOffsetOutOfRange) {
		t.Fatalf("offset from the future: %v", err)
	}
	if _, err := b.HistoryFrom(bg, stream, "zzzz", 3); !errors.Is(err, broker.ErrUnknownEpoch) {
		t.Fatalf("unknown epoch: %v", err)
	}
	if _, err := b.HistoryFrom(bg, "no such stream", epoch, 0); !errors.Is(err, broker.ErrStreamNotFound) {
		t.Fatalf("unknown stream: %v", err)
	}

	all, err := b.HistorySince(bg, stream, time.Now().Add(-time.Minute).Unix())
	if err != nil || !slices.Equal(all, stored) {
		t.Fatalf("since a minute ago: %v, %+v", err, all)
	}
	if none, err := b.HistorySince(bg, stream, time.Now().Add(time.Hour).Unix()); err != nil || len(none) != 0 {
		t.Fatalf("since the future: %v, %+v", err, none)
	}
	if none, err := b.HistorySince(bg, "no such stream", 0); err != nil || len(none) != 0 {
		t.Fatalf("since, unknown stream: %v, %+v", err, none)
	}
}

func testHistoryLimit(t *testing.T, newNode factory) {
	b := newNode(t, uniquePrefix(), limitOpts(3), nil)
	for i := 1; i <= 8; i++ {
		store(t, b, "s", fmt.Sprint(i))
	}
	got, err := b.HistoryFrom(bg, "s", b.Epoch(), 6) // 6 is the lowest retained
	if err != nil || !slices.Equal(offsets(got), []uint64{7, 8}) {
		t.Fatalf("from 6: %v %v", offsets(got), err)
	}
	for _, from := range []uint64{0, 1, 5} { // consumer, walk-back and boundary
		if _, err := b.HistoryFrom(bg, "s", b.Epoch(), from); !errors.Is(err, broker.ErrOffsetOutOfRange) {
			t.Fatalf("from %d (trimmed): %v", from, err)
		}
	}
	all, err := b.HistorySince(bg, "s", 0)
	if err != nil || !slices.Equal(offsets(all), []uint64{6, 7, 8}) {
		t.Fatalf("since 0: %v %v", offsets(all), err)
	}
}

// Nodes publishing to one stream at once never share an offset, and each
// sees the others' publications in its history.
func testConcurrentNodes(t *testing.T, newNode factory) {
	prefix := uniquePrefix()
	a, b := newNode(t, prefix, broker.DefaultOptions(), nil), newNode(t, prefix, broker.DefaultOptions(), nil)
	if a.Epoch() != b.Epoch() {
		t.Fatalf("epochs differ: %s, %s", a.Epoch(), b.Epoch())
	}
	const each = 15
	var wg sync.WaitGroup
	errs := make(chan error, 2*each)
	for _, n := range []*Broker{a, b} {
		for i := range each {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p := broker.Publication{Stream: "race", Data: fmt.Sprint(i)}
				errs <- n.Store(bg, &p)
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []*Broker{a, b} {
		got, err := n.HistorySince(bg, "race", 0)
		if err != nil || !slices.Equal(offsets(got), seq(1, 2*each)) {
			t.Fatalf("history: %v %v", offsets(got), err)
		}
	}
	p := store(t, a, "race", "next")
	if p.Offset != 2*each+1 {
		t.Fatalf("next offset %d", p.Offset)
	}
}

func testSessions(t *testing.T, newNode factory) {
	prefix := uniquePrefix()
	a, b := newNode(t, prefix, broker.DefaultOptions(), nil), newNode(t, prefix, broker.DefaultOptions(), nil)
	sids := []string{"sid-1", "", "with space/and.dots*>", strings.Repeat("long", 100)}
	for i, sid := range sids {
		snap := []byte(fmt.Sprintf(`{"ids":"%d"}`, i))
		if err := a.CommitSession(bg, sid, snap); err != nil {
			t.Fatal(err)
		}
		got, err := b.RestoreSession(bg, sid)
		if err != nil || string(got) != string(snap) {
			t.Fatalf("restore %q on another node: %q %v", sid, got, err)
		}
		if err := b.TouchSession(bg, sid); err != nil {
			t.Fatal(err)
		}
		if got, _ := a.RestoreSession(bg, sid); string(got) != string(snap) {
			t.Fatalf("after touch: %q", got)
		}
	}
	if got, err := a.RestoreSession(bg, "missing"); err != nil || got != nil {
		t.Fatalf("missing session: %q %v", got, err)
	}
	if err := a.TouchSession(bg, "missing"); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.RestoreSession(bg, "missing"); got != nil {
		t.Fatal("touch created a session")
	}
	if err := a.CommitSession(bg, "sid-1", []byte("v2")); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.RestoreSession(bg, "sid-1"); string(got) != "v2" {
		t.Fatalf("overwrite: %q", got)
	}
}

func testPresence(t *testing.T, newNode factory) {
	prefix := uniquePrefix()
	a, b := newNode(t, prefix, broker.DefaultOptions(), nil), newNode(t, prefix, broker.DefaultOptions(), nil)
	const room = "room/1"
	info := []byte(`{"name":"Jack"}`)

	ev, err := a.PresenceAdd(bg, room, "s1", "u1", info)
	if err != nil || ev == nil || ev.Type != "join" || ev.ID != "u1" || string(ev.Info) != string(info) {
		t.Fatalf("first join: %+v %v", ev, err)
	}
	if ev, err := a.PresenceAdd(bg, room, "s1", "u1", info); err != nil || ev != nil {
		t.Fatalf("same session joins again: %+v %v", ev, err)
	}
	if _, err := a.PresenceAdd(bg, room, "s1", "u2", nil); !errors.Is(err, broker.ErrPresenceIDMismatch) {
		t.Fatalf("another id for the same session: %v", err)
	}
	// The same user from another node: no second join.
	if ev, err := b.PresenceAdd(bg, room, "s2", "u1", []byte(`{"name":"J"}`)); err != nil || ev != nil {
		t.Fatalf("same id from another node: %+v %v", ev, err)
	}
	if ev, err := b.PresenceAdd(bg, room, "s3", "u3", nil); err != nil || ev == nil || ev.Type != "join" {
		t.Fatalf("second user: %+v %v", ev, err)
	}
	for _, n := range []*Broker{a, b} {
		pi, err := n.PresenceInfo(bg, room)
		if err != nil || pi.Total != 2 || len(pi.Records) != 2 || pi.Records[0].ID != "u1" ||
			string(pi.Records[0].Info) != string(info) || pi.Records[1].ID != "u3" || pi.Records[1].Info != nil {
			t.Fatalf("info: %+v %v", pi, err)
		}
	}
	if pi, err := a.PresenceInfo(bg, "empty room"); err != nil || pi.Total != 0 || len(pi.Records) != 0 {
		t.Fatalf("empty room: %+v %v", pi, err)
	}

	if ev, err := a.PresenceRemove(bg, room, "s1"); err != nil || ev != nil {
		t.Fatalf("u1 still has a session: %+v %v", ev, err)
	}
	if ev, err := b.PresenceRemove(bg, room, "s2"); err != nil || ev == nil || ev.Type != "leave" || ev.ID != "u1" {
		t.Fatalf("last session of u1 leaves: %+v %v", ev, err)
	}
	if ev, err := b.PresenceRemove(bg, room, "s2"); err != nil || ev != nil {
		t.Fatalf("leaving twice: %+v %v", ev, err)
	}
	if ev, err := a.PresenceRemove(bg, room, "never-joined"); err != nil || ev != nil {
		t.Fatalf("unknown session: %+v %v", ev, err)
	}
	pi, err := a.PresenceInfo(bg, room)
	if err != nil || pi.Total != 1 || pi.Records[0].ID != "u3" {
		t.Fatalf("after leaves: %+v %v", pi, err)
	}
	// After leaving, the session may join with another id.
	if ev, err := a.PresenceAdd(bg, room, "s1", "u9", nil); err != nil || ev == nil {
		t.Fatalf("rejoin with a new id: %+v %v", ev, err)
	}
}

func limitOpts(n int) broker.Options {
	o := broker.DefaultOptions()
	o.HistoryLimit = n
	return o
}
