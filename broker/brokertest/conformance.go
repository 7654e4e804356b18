package brokertest

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

// BrokerEngine builds brokers of one engine for RunBrokerConformance.
type BrokerEngine struct {
	// New returns a started broker with opts; expired presence goes to
	// onExpire. The engine shuts it down and removes its data when t ends.
	// Brokers from different calls must not share data.
	New func(t *testing.T, opts broker.Options, onExpire broker.ExpiredPresence) broker.Broker
	// Advance lets d pass for b (a fake clock or a sleep) and then runs
	// b's expiry pass once, synchronously.
	Advance func(t *testing.T, b broker.Broker, d time.Duration)
	// Now is b's clock, for HistorySince (time.Now when nil).
	Now func(b broker.Broker) time.Time
	// ExactTime says Advance moves a fake clock exactly, so the suite also
	// checks that things have not expired too early. Engines on real time
	// leave it false: such checks would depend on scheduling.
	ExactTime bool
}

// RunBrokerConformance checks the rules every Broker engine must follow
// (WIRE-FACTS §9–§11): offsets and epochs, history requests and their
// errors, history limits and TTL, the session cache and presence with its
// expiry. Subtests run in parallel.
func RunBrokerConformance(t *testing.T, e BrokerEngine) {
	s := &suite{e: e}
	for _, tc := range []struct {
		name string
		fn   func(*testing.T)
	}{
		{"OffsetsStartAtOneAndGrow", s.offsetsStartAtOneAndGrow},
		{"TransientIsNotStored", s.transientIsNotStored},
		{"OneEpochForAllStreams", s.oneEpochForAllStreams},
		{"HistoryFromReturnsLaterEntries", s.historyFromReturnsLaterEntries},
		{"HistoryFromErrors", s.historyFromErrors},
		{"HistoryLimit", s.historyLimit},
		{"HistorySince", s.historySince},
		{"HistoryTTL", s.historyTTL},
		{"ConcurrentStores", s.concurrentStores},
		{"Sessions", s.sessions},
		{"SessionsExpire", s.sessionsExpire},
		{"SessionsDisabled", s.sessionsDisabled},
		{"PresenceJoinLeave", s.presenceJoinLeave},
		{"PresenceIDMismatch", s.presenceIDMismatch},
		{"PresenceExpires", s.presenceExpires},
		{"PresenceTouchKeepsAlive", s.presenceTouchKeepsAlive},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t)
		})
	}
}

type suite struct{ e BrokerEngine }

func (s *suite) newBroker(t *testing.T, opts broker.Options) (broker.Broker, *ExpiryRecorder) {
	t.Helper()
	rec := &ExpiryRecorder{}
	return s.e.New(t, opts, rec.Record), rec
}

func (s *suite) now(b broker.Broker) time.Time {
	if s.e.Now != nil {
		return s.e.Now(b)
	}
	return time.Now()
}

// ExpiryRecorder collects what a broker hands to its ExpiredPresence
// callback.
type ExpiryRecorder struct {
	mu     sync.Mutex
	events map[string][]broker.PresenceEvent
}

// Record is a broker.ExpiredPresence.
func (r *ExpiryRecorder) Record(stream string, events []broker.PresenceEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.events == nil {
		r.events = make(map[string][]broker.PresenceEvent)
	}
	r.events[stream] = append(r.events[stream], events...)
}

// Events returns the leave events received for stream, sorted by id.
func (r *ExpiryRecorder) Events(stream string) []broker.PresenceEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := slices.Clone(r.events[stream])
	slices.SortFunc(out, func(a, b broker.PresenceEvent) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Total counts the events received for every stream.
func (r *ExpiryRecorder) Total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, ev := range r.events {
		n += len(ev)
	}
	return n
}

func opts() broker.Options { return broker.DefaultOptions() }

// store stores a publication with data and returns it as filled in.
func store(t *testing.T, b broker.Broker, stream, data string) broker.Publication {
	t.Helper()
	p := broker.Publication{Stream: stream, Data: data}
	if err := b.Store(context.Background(), &p); err != nil {
		t.Fatalf("Store(%s, %s): %v", stream, data, err)
	}
	return p
}

// storeN stores "m1".."mN" and returns the epoch.
func storeN(t *testing.T, b broker.Broker, stream string, n int) string {
	t.Helper()
	var epoch string
	for i := 1; i <= n; i++ {
		epoch = store(t, b, stream, fmt.Sprintf("m%d", i)).Epoch
	}
	return epoch
}

// wantOffsets checks that pubs carry exactly these offsets, in order, with
// the data storeN gave them.
func wantOffsets(t *testing.T, pubs []broker.Publication, stream, epoch string, offsets ...uint64) {
	t.Helper()
	got := make([]uint64, len(pubs))
	for i, p := range pubs {
		got[i] = p.Offset
		if p.Stream != stream || p.Epoch != epoch || p.Data != fmt.Sprintf("m%d", p.Offset) {
			t.Errorf("entry %d = %+v, want stream %q epoch %q data m%d", i, p, stream, epoch, p.Offset)
		}
	}
	if !slices.Equal(got, offsets) {
		t.Fatalf("offsets = %v, want %v", got, offsets)
	}
}

func (s *suite) offsetsStartAtOneAndGrow(t *testing.T) {
	b, _ := s.newBroker(t, opts())
	for i := uint64(1); i <= 3; i++ {
		p := store(t, b, "a", "x")
		if p.Offset != i || p.Epoch == "" {
			t.Fatalf("store %d: offset %d epoch %q", i, p.Offset, p.Epoch)
		}
	}
	if p := store(t, b, "b", "x"); p.Offset != 1 {
		t.Fatalf("another stream starts at %d, want 1", p.Offset)
	}
}

func (s *suite) transientIsNotStored(t *testing.T) {
	b, _ := s.newBroker(t, opts())
	epoch := store(t, b, "a", "m1").Epoch
	p := broker.Publication{Stream: "a", Data: "whisper", Meta: broker.Meta{Transient: true}}
	if err := b.Store(context.Background(), &p); err != nil {
		t.Fatal(err)
	}
	if p.Epoch != "" || p.Offset != 0 {
		t.Fatalf("transient got epoch %q offset %d", p.Epoch, p.Offset)
	}
	if p := store(t, b, "a", "m2"); p.Offset != 2 {
		t.Fatalf("offset after a transient = %d, want 2", p.Offset)
	}
	pubs, err := b.HistoryFrom(context.Background(), "a", epoch, 1)
	if err != nil {
		t.Fatal(err)
	}
	wantOffsets(t, pubs, "a", epoch, 2)
}

func (s *suite) oneEpochForAllStreams(t *testing.T) {
	b, _ := s.newBroker(t, opts())
	e1, e2 := store(t, b, "a", "x").Epoch, store(t, b, "b", "x").Epoch
	if e1 == "" || e1 != e2 {
		t.Fatalf("epochs %q and %q, want one non-empty epoch", e1, e2)
	}
}

func (s *suite) historyFromReturnsLaterEntries(t *testing.T) {
	b, _ := s.newBroker(t, opts())
	ctx := context.Background()
	epoch := storeN(t, b, "a", 5)
	typed := broker.Publication{Stream: "a", Data: "m6", Meta: broker.Meta{BroadcastType: "custom"}}
	if err := b.Store(ctx, &typed); err != nil {
		t.Fatal(err)
	}
	pubs, err := b.HistoryFrom(ctx, "a", epoch, 2)
	if err != nil {
		t.Fatal(err)
	}
	wantOffsets(t, pubs, "a", epoch, 3, 4, 5, 6)
	if bt := pubs[3].Meta.BroadcastType; bt != "custom" {
		t.Fatalf("broadcast type %q not kept", bt)
	}
	pubs, err = b.HistoryFrom(ctx, "a", epoch, 6)
	if err != nil || len(pubs) != 0 {
		t.Fatalf("offset == latest: %v, %v; want nothing and no error", pubs, err)
	}
}

func (s *suite) historyFromErrors(t *testing.T) {
	b, _ := s.newBroker(t, opts())
	ctx := context.Background()
	epoch := storeN(t, b, "a", 3)
	for _, tc := range []struct {
		name, stream, epoch string
		offset              uint64
		want                error
	}{
		{"unknown epoch", "a", epoch + "x", 1, broker.ErrUnknownEpoch},
		{"empty epoch", "a", "", 1, broker.ErrUnknownEpoch},
		{"unknown stream", "nope", epoch, 1, broker.ErrStreamNotFound},
		{"offset from the future", "a", epoch, 4, broker.ErrOffsetOutOfRange},
		{"huge offset", "a", epoch, 1<<63 + 5, broker.ErrOffsetOutOfRange},
		{"offset before the first", "a", epoch, 0, broker.ErrOffsetOutOfRange},
	} {
		pubs, err := b.HistoryFrom(ctx, tc.stream, tc.epoch, tc.offset)
		if !errors.Is(err, tc.want) || pubs != nil {
			t.Errorf("%s: %v, %v; want %v", tc.name, pubs, err, tc.want)
		}
	}
}

func (s *suite) historyLimit(t *testing.T) {
	o := opts()
	o.HistoryLimit = 3
	b, _ := s.newBroker(t, o)
	ctx := context.Background()
	epoch := storeN(t, b, "a", 7)
	pubs, err := b.HistoryFrom(ctx, "a", epoch, 5)
	if err != nil {
		t.Fatal(err)
	}
	wantOffsets(t, pubs, "a", epoch, 6, 7)
	// 5 is the lowest retained offset: all after it are there.
	if _, err := b.HistoryFrom(ctx, "a", epoch, 4); !errors.Is(err, broker.ErrOffsetOutOfRange) {
		t.Fatalf("offset below the lowest retained: %v, want ErrOffsetOutOfRange", err)
	}
	since, err := b.HistorySince(ctx, "a", 0)
	if err != nil {
		t.Fatal(err)
	}
	wantOffsets(t, since, "a", epoch, 5, 6, 7)
}

func (s *suite) historySince(t *testing.T) {
	b, _ := s.newBroker(t, opts())
	ctx := context.Background()
	epoch := storeN(t, b, "a", 3)
	now := s.now(b).Unix()
	pubs, err := b.HistorySince(ctx, "a", now-60)
	if err != nil {
		t.Fatal(err)
	}
	wantOffsets(t, pubs, "a", epoch, 1, 2, 3)
	if pubs, err := b.HistorySince(ctx, "a", now+60); err != nil || len(pubs) != 0 {
		t.Fatalf("since the future: %v, %v; want nothing", pubs, err)
	}
	if pubs, err := b.HistorySince(ctx, "nope", 0); err != nil || len(pubs) != 0 {
		t.Fatalf("unknown stream: %v, %v; want nothing and no error", pubs, err)
	}
}

// historyTTL: entries older than history_ttl go, the stream's offsets stay.
func (s *suite) historyTTL(t *testing.T) {
	o := opts()
	o.HistoryTTL = 1
	b, _ := s.newBroker(t, o)
	ctx := context.Background()
	epoch := storeN(t, b, "a", 2)
	if s.e.ExactTime {
		s.e.Advance(t, b, 900*time.Millisecond)
		pubs, err := b.HistoryFrom(ctx, "a", epoch, 1)
		if err != nil {
			t.Fatalf("history expired early: %v", err)
		}
		wantOffsets(t, pubs, "a", epoch, 2)
	}
	s.e.Advance(t, b, 2100*time.Millisecond)
	if pubs, err := b.HistorySince(ctx, "a", 0); err != nil || len(pubs) != 0 {
		t.Fatalf("expired history still served: %v, %v", pubs, err)
	}
	if _, err := b.HistoryFrom(ctx, "a", epoch, 1); !errors.Is(err, broker.ErrOffsetOutOfRange) {
		t.Fatalf("expired history: %v, want ErrOffsetOutOfRange", err)
	}
	if pubs, err := b.HistoryFrom(ctx, "a", epoch, 2); err != nil || len(pubs) != 0 {
		t.Fatalf("offset == latest after expiry: %v, %v; want nothing and no error", pubs, err)
	}
	if p := store(t, b, "a", "m3"); p.Offset != 3 || p.Epoch != epoch {
		t.Fatalf("after expiry: offset %d epoch %q, want 3 and %q", p.Offset, p.Epoch, epoch)
	}
}

func (s *suite) concurrentStores(t *testing.T) {
	const writers, each = 4, 50
	o := opts()
	o.HistoryLimit = writers * each
	b, _ := s.newBroker(t, o)
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for range writers {
		wg.Go(func() {
			for range each {
				p := broker.Publication{Stream: "a", Data: "x"}
				if err := b.Store(context.Background(), &p); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	epoch := store(t, b, "other", "x").Epoch
	pubs, err := b.HistorySince(context.Background(), "a", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(pubs) != writers*each {
		t.Fatalf("%d entries, want %d", len(pubs), writers*each)
	}
	for i, p := range pubs {
		if p.Offset != uint64(i+1) || p.Epoch != epoch {
			t.Fatalf("entry %d has offset %d epoch %q: offsets must be dense and in order", i, p.Offset, p.Epoch)
		}
	}
}

func (s *suite) sessions(t *testing.T) {
	b, _ := s.newBroker(t, opts())
	ctx := context.Background()
	if got, err := b.RestoreSession(ctx, "unknown"); err != nil || got != nil {
		t.Fatalf("unknown sid: %q, %v", got, err)
	}
	snap := []byte(`{"ids":"{}","subs":{}}`)
	if err := b.CommitSession(ctx, "s1", snap); err != nil {
		t.Fatal(err)
	}
	snap[0] = 'X' // the broker must have kept its own copy
	if got, err := b.RestoreSession(ctx, "s1"); err != nil || string(got) != `{"ids":"{}","subs":{}}` {
		t.Fatalf("restore: %q, %v", got, err)
	}
	if err := b.CommitSession(ctx, "s1", []byte("v2")); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.RestoreSession(ctx, "s1"); string(got) != "v2" {
		t.Fatalf("after overwrite: %q", got)
	}
	if err := b.TouchSession(ctx, "unknown"); err != nil {
		t.Fatalf("touching an unknown session: %v", err)
	}
}

func (s *suite) sessionsExpire(t *testing.T) {
	o := opts()
	o.SessionsTTL = 1
	b, _ := s.newBroker(t, o)
	ctx := context.Background()
	for _, sid := range []string{"s1", "s2"} {
		if err := b.CommitSession(ctx, sid, []byte(sid)); err != nil {
			t.Fatal(err)
		}
	}
	if s.e.ExactTime {
		s.e.Advance(t, b, 600*time.Millisecond)
		if err := b.TouchSession(ctx, "s2"); err != nil {
			t.Fatal(err)
		}
		s.e.Advance(t, b, 600*time.Millisecond)
		if got, _ := b.RestoreSession(ctx, "s2"); string(got) != "s2" {
			t.Fatalf("a touched session expired early: %q", got)
		}
	}
	s.e.Advance(t, b, 2100*time.Millisecond)
	for _, sid := range []string{"s1", "s2"} {
		if got, err := b.RestoreSession(ctx, sid); err != nil || got != nil {
			t.Fatalf("%s after sessions_ttl: %q, %v", sid, got, err)
		}
	}
}

func (s *suite) sessionsDisabled(t *testing.T) {
	o := opts()
	o.SessionsTTL = 0
	b, _ := s.newBroker(t, o)
	ctx := context.Background()
	if err := b.CommitSession(ctx, "s1", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if got, err := b.RestoreSession(ctx, "s1"); err != nil || got != nil {
		t.Fatalf("sessions_ttl=0 kept a session: %q, %v", got, err)
	}
}

func wantEvent(t *testing.T, what string, got *broker.PresenceEvent, want *broker.PresenceEvent) {
	t.Helper()
	if (got == nil) != (want == nil) || got != nil && (got.Type != want.Type || got.ID != want.ID || string(got.Info) != string(want.Info)) {
		t.Fatalf("%s: event %+v, want %+v", what, got, want)
	}
}

func wantPresence(t *testing.T, b broker.Broker, stream string, want ...broker.PresenceRecord) {
	t.Helper()
	info, err := b.PresenceInfo(context.Background(), stream)
	if err != nil {
		t.Fatal(err)
	}
	ok := info.Total == len(want) && len(info.Records) == len(want)
	for i := 0; ok && i < len(want); i++ {
		ok = info.Records[i].ID == want[i].ID && string(info.Records[i].Info) == string(want[i].Info)
	}
	if !ok {
		t.Fatalf("presence of %s = %d %s, want %s", stream, info.Total, fmtRecords(info.Records), fmtRecords(want))
	}
}

func fmtRecords(rs []broker.PresenceRecord) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.ID + "=" + string(r.Info)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func (s *suite) presenceJoinLeave(t *testing.T) {
	b, _ := s.newBroker(t, opts())
	ctx := context.Background()
	wantPresence(t, b, "room")
	ev, err := b.PresenceAdd(ctx, "room", "s1", "u1", []byte(`{"name":"Ann"}`))
	if err != nil {
		t.Fatal(err)
	}
	wantEvent(t, "first join", ev, &broker.PresenceEvent{Type: "join", ID: "u1", Info: []byte(`{"name":"Ann"}`)})
	ev, err = b.PresenceAdd(ctx, "room", "s2", "u1", []byte(`{"name":"Ann 2"}`))
	if err != nil {
		t.Fatal(err)
	}
	wantEvent(t, "same id from another session", ev, nil)
	ev, err = b.PresenceAdd(ctx, "room", "s1", "u1", []byte(`{"name":"Ann"}`))
	if err != nil {
		t.Fatal(err)
	}
	wantEvent(t, "same session joins again", ev, nil)
	if _, err := b.PresenceAdd(ctx, "room", "s3", "u2", []byte(`"plain"`)); err != nil {
		t.Fatal(err)
	}
	wantPresence(t, b, "room", broker.PresenceRecord{ID: "u1", Info: []byte(`{"name":"Ann"}`)},
		broker.PresenceRecord{ID: "u2", Info: []byte(`"plain"`)})
	wantPresence(t, b, "other")

	ev, err = b.PresenceRemove(ctx, "room", "s1")
	if err != nil {
		t.Fatal(err)
	}
	wantEvent(t, "one of two sessions leaves", ev, nil)
	ev, err = b.PresenceRemove(ctx, "room", "s2")
	if err != nil {
		t.Fatal(err)
	}
	wantEvent(t, "last session leaves", ev, &broker.PresenceEvent{Type: "leave", ID: "u1"})
	ev, err = b.PresenceRemove(ctx, "room", "s2")
	if err != nil {
		t.Fatal(err)
	}
	wantEvent(t, "leaving twice", ev, nil)
	if ev, err := b.PresenceRemove(ctx, "nowhere", "s9"); err != nil || ev != nil {
		t.Fatalf("removing from an unknown stream: %+v, %v", ev, err)
	}
	wantPresence(t, b, "room", broker.PresenceRecord{ID: "u2", Info: []byte(`"plain"`)})
	// After the id left, joining again is a join again.
	ev, err = b.PresenceAdd(ctx, "room", "s1", "u1", []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	wantEvent(t, "rejoin", ev, &broker.PresenceEvent{Type: "join", ID: "u1", Info: []byte(`{}`)})
}

func (s *suite) presenceIDMismatch(t *testing.T) {
	b, _ := s.newBroker(t, opts())
	ctx := context.Background()
	if _, err := b.PresenceAdd(ctx, "room", "s1", "u1", nil); err != nil {
		t.Fatal(err)
	}
	if ev, err := b.PresenceAdd(ctx, "room", "s1", "u2", nil); !errors.Is(err, broker.ErrPresenceIDMismatch) || ev != nil {
		t.Fatalf("rejoin with another id: %+v, %v; want ErrPresenceIDMismatch", ev, err)
	}
	// Another stream is another presence set.
	if ev, err := b.PresenceAdd(ctx, "lobby", "s1", "u2", nil); err != nil || ev == nil || ev.Type != "join" {
		t.Fatalf("join in another stream: %+v, %v", ev, err)
	}
	if _, err := b.PresenceAdd(ctx, "room", "s1", "", nil); err == nil {
		t.Fatal("an empty presence id was accepted")
	}
	wantPresence(t, b, "room", broker.PresenceRecord{ID: "u1"})
}

func (s *suite) presenceExpires(t *testing.T) {
	o := opts()
	o.PresenceTTL = 1
	b, rec := s.newBroker(t, o)
	ctx := context.Background()
	for _, m := range [][3]string{{"room", "s1", "u1"}, {"room", "s2", "u1"}, {"room", "s3", "u2"}, {"lobby", "s1", "u1"}} {
		if _, err := b.PresenceAdd(ctx, m[0], m[1], m[2], []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	s.e.Advance(t, b, 2100*time.Millisecond)
	want := func(ids ...string) []broker.PresenceEvent {
		out := make([]broker.PresenceEvent, len(ids))
		for i, id := range ids {
			out[i] = broker.PresenceEvent{Type: "leave", ID: id}
		}
		return out
	}
	for stream, ids := range map[string][]string{"room": {"u1", "u2"}, "lobby": {"u1"}} {
		if got := rec.Events(stream); !equalEvents(got, want(ids...)) {
			t.Fatalf("expiry leaves for %s = %+v, want %+v", stream, got, want(ids...))
		}
	}
	wantPresence(t, b, "room")
	// Another pass finds nothing more to expire.
	s.e.Advance(t, b, 100*time.Millisecond)
	if n := rec.Total(); n != 3 {
		t.Fatalf("%d leave events after a second pass, want 3", n)
	}
	// An expired session is gone: removing it gives no second leave.
	if ev, err := b.PresenceRemove(ctx, "room", "s1"); err != nil || ev != nil {
		t.Fatalf("removing an expired session: %+v, %v", ev, err)
	}
}

func equalEvents(a, b []broker.PresenceEvent) bool {
	return slices.EqualFunc(a, b, func(x, y broker.PresenceEvent) bool {
		return x.Type == y.Type && x.ID == y.ID && string(x.Info) == string(y.Info)
	})
}

// presenceTouchKeepsAlive: a touched session stays, an untouched one with
// the same id goes without a leave, and leave comes when both are gone.
func (s *suite) presenceTouchKeepsAlive(t *testing.T) {
	// On a real clock s2 is touched every 500 ms against a 2 s TTL, so a
	// touch comes in time even on a loaded machine; 3 s in all lets s1 expire.
	step, steps := time.Second, 3
	if !s.e.ExactTime {
		step, steps = 500*time.Millisecond, 6
	}
	o := opts()
	o.PresenceTTL = 2
	b, rec := s.newBroker(t, o)
	ctx := context.Background()
	for _, m := range [][3]string{{"room", "s1", "u1"}, {"room", "s2", "u1"}, {"lobby", "s2", "u1"}} {
		if _, err := b.PresenceAdd(ctx, m[0], m[1], m[2], nil); err != nil {
			t.Fatal(err)
		}
	}
	for range steps {
		s.e.Advance(t, b, step)
		if err := b.TouchPresence(ctx, "s2"); err != nil {
			t.Fatal(err)
		}
	}
	if n := rec.Total(); n != 0 {
		t.Fatalf("%d leave events while s2 (u1) stayed: %+v", n, rec.Events("room"))
	}
	wantPresence(t, b, "room", broker.PresenceRecord{ID: "u1"})
	if ev, err := b.PresenceRemove(ctx, "room", "s1"); err != nil || ev != nil {
		t.Fatalf("s1 should have expired silently: %+v, %v", ev, err)
	}
	s.e.Advance(t, b, 2100*time.Millisecond)
	for _, stream := range []string{"room", "lobby"} {
		if got := rec.Events(stream); !equalEvents(got, []broker.PresenceEvent{{Type: "leave", ID: "u1"}}) {
			t.Fatalf("leaves for %s = %+v", stream, got)
		}
	}
}
