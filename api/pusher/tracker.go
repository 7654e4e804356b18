package pusher

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/densecable/densecable/broker"
)

// Counter counts a stream's subscribers on this node (the hub).
type Counter interface {
	Subscribers(stream string) int
}

// Tracker turns this node's stream transitions (the hub's first and last
// local subscriber) into the cluster's, through the broker's Occupancy,
// and answers the API's channel questions. The hub calls Occupied and
// Vacated under its shard lock, so they only note the wanted state; one
// goroutine applies the notes in the background. Notes for one stream
// coalesce: the pending set is bounded by the streams this node has.
type Tracker struct {
	store   broker.Occupancy
	counter Counter
	// OnOccupied and OnVacated hear the cluster's transitions (webhooks);
	// set before Start.
	OnOccupied, OnVacated func(channel string)
	log                   *slog.Logger

	mu      sync.Mutex
	pending map[string]bool // stream → wanted: occupied by this node
	busy    int             // notes taken by apply and not yet told
	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	started atomic.Bool
}

// retryDelay paces retries while the store is unreachable.
const retryDelay = time.Second

// keepAliveEvery is how often the tracker tells the store this node is
// alive (and lets it clear what stopped nodes left behind).
const keepAliveEvery = 5 * time.Second

// storeTimeout bounds one store call.
const storeTimeout = 5 * time.Second

// NewTracker returns a tracker over store (cluster-wide or this node's).
func NewTracker(store broker.Occupancy, counter Counter, log *slog.Logger) *Tracker {
	return &Tracker{store: store, counter: counter, log: log, pending: make(map[string]bool),
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
}

// Start runs the goroutine that applies the notes.
func (t *Tracker) Start() {
	t.started.Store(true)
	go t.run()
}

// Stop ends the goroutine (if Start ran); pending notes are dropped (the
// node is going away: Drain first).
func (t *Tracker) Stop() {
	if !t.started.Load() {
		return
	}
	close(t.stop)
	<-t.done
}

// Drain waits until every note is told to the store, or ctx is done
// (shutdown: the node's last vacated streams reach the cluster).
func (t *Tracker) Drain(ctx context.Context) {
	for {
		t.mu.Lock()
		n := len(t.pending) + t.busy
		t.mu.Unlock()
		if n == 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Occupied notes that this node got its first subscriber to stream.
func (t *Tracker) Occupied(stream string) { t.note(stream, true) }

// Vacated notes that this node lost its last subscriber to stream.
func (t *Tracker) Vacated(stream string) { t.note(stream, false) }

func (t *Tracker) note(stream string, occupied bool) {
	t.mu.Lock()
	t.pending[stream] = occupied
	t.mu.Unlock()
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

func (t *Tracker) run() {
	defer close(t.done)
	tick := time.NewTicker(keepAliveEvery)
	defer tick.Stop()
	for {
		select {
		case <-t.stop:
			return
		case <-tick.C:
			t.keepAlive()
			continue
		case <-t.wake:
		}
		for !t.apply() {
			select {
			case <-t.stop:
				return
			case <-time.After(retryDelay):
			}
		}
	}
}

// keepAlive marks this node alive in the store and reports the streams
// that stopped nodes left behind and the store found vacant.
func (t *Tracker) keepAlive() {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	vacated, err := t.store.OccupancyKeepAlive(ctx)
	if err != nil {
		t.log.Warn("channel occupancy keep-alive failed", "error", err)
	}
	for _, s := range vacated {
		t.log.Info("channel vacated by a stopped node", "stream", s)
		if t.OnVacated != nil {
			t.OnVacated(s)
		}
	}
}

// apply takes the pending notes and tells the store; a note that fails is
// put back unless a newer one replaced it. It reports whether all went.
func (t *Tracker) apply() bool {
	t.mu.Lock()
	batch := t.pending
	t.pending = make(map[string]bool)
	t.busy = len(batch)
	t.mu.Unlock()
	defer func() {
		t.mu.Lock()
		t.busy = 0
		t.mu.Unlock()
	}()
	ok := true
	for stream, occupied := range batch {
		if !t.tell(stream, occupied) {
			ok = false
			t.mu.Lock()
			if _, newer := t.pending[stream]; !newer {
				t.pending[stream] = occupied
			}
			t.mu.Unlock()
		}
	}
	return ok
}

func (t *Tracker) tell(stream string, occupied bool) bool {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	var changed bool
	var err error
	if occupied {
		changed, err = t.store.OccupancyAdd(ctx, stream)
	} else {
		changed, err = t.store.OccupancyRemove(ctx, stream)
	}
	if err != nil {
		t.log.Warn("channel occupancy not recorded; retrying", "stream", stream, "error", err)
		return false
	}
	switch {
	case changed && occupied && t.OnOccupied != nil:
		t.OnOccupied(stream)
	case changed && !occupied && t.OnVacated != nil:
		t.OnVacated(stream)
	}
	return true
}

// OccupiedChannels implements Channels.
func (t *Tracker) OccupiedChannels(ctx context.Context, prefix string, limit int) ([]string, error) {
	return t.store.OccupiedStreams(ctx, prefix, limit)
}

// IsOccupied implements Channels.
func (t *Tracker) IsOccupied(ctx context.Context, channel string) (bool, error) {
	return t.store.IsOccupied(ctx, channel)
}

// SubscriptionCount implements Channels: this node's subscribers.
func (t *Tracker) SubscriptionCount(_ context.Context, channel string) (int, error) {
	return t.counter.Subscribers(channel), nil
}
