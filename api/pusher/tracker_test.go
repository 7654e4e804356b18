package pusher

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/densecable/densecable/broker/brokertest"
	"github.com/densecable/densecable/broker/store/memory"
)

type countingHub map[string]int

func (c countingHub) Subscribers(s string) int { return c[s] }

// flakyStore fails while down is set.
type flakyStore struct {
	*memory.Occupancy
	down atomic.Bool
}

func (f *flakyStore) OccupancyAdd(ctx context.Context, s string) (bool, error) {
	if f.down.Load() {
		return false, errors.New("down")
	}
	return f.Occupancy.OccupancyAdd(ctx, s)
}

type transitions struct {
	mu   sync.Mutex
	list []string
}

func (tr *transitions) add(s string) { tr.mu.Lock(); tr.list = append(tr.list, s); tr.mu.Unlock() }
func (tr *transitions) get() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]string(nil), tr.list...)
}

// Two trackers (nodes) over one store: the cluster's transitions are
// reported once, by the node that made them; the API reads the store.
func TestTrackerReportsClusterTransitionsOnce(t *testing.T) {
	store := memory.NewOccupancy()
	var tr transitions
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	nodes := []*Tracker{NewTracker(store, countingHub{"room": 2}, log), NewTracker(store, countingHub{}, log)}
	for _, n := range nodes {
		n.OnOccupied = func(c string) { tr.add("occupied " + c) }
		n.OnVacated = func(c string) { tr.add("vacated " + c) }
		n.Start()
		defer n.Stop()
	}
	nodes[0].Occupied("room")
	brokertest.Eventually(t, "occupied", 10*time.Second, func() bool { return len(tr.get()) == 1 })
	nodes[1].Occupied("room")
	nodes[0].Vacated("room")
	brokertest.Eventually(t, "store holds the second node only", 10*time.Second, func() bool {
		ok, _ := store.IsOccupied(context.Background(), "room")
		return ok
	})
	nodes[1].Vacated("room")
	brokertest.Eventually(t, "vacated", 10*time.Second, func() bool { return len(tr.get()) == 2 })
	if got := tr.get(); got[0] != "occupied room" || got[1] != "vacated room" {
		t.Fatalf("transitions: %v", got)
	}
	if n, _ := nodes[0].SubscriptionCount(context.Background(), "room"); n != 2 {
		t.Fatalf("subscription count: %d", n)
	}
}

// A store that is down: the note stays pending and is applied once the
// store is back.
func TestTrackerRetriesWhileStoreIsDown(t *testing.T) {
	store := &flakyStore{Occupancy: memory.NewOccupancy()}
	store.down.Store(true)
	var tr transitions
	n := NewTracker(store, countingHub{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	n.OnOccupied = func(c string) { tr.add(c) }
	n.Start()
	defer n.Stop()
	n.Occupied("room")
	time.Sleep(50 * time.Millisecond) // nothing can arrive while down; the check below is the test
	if len(tr.get()) != 0 {
		t.Fatal("transition reported while the store is down")
	}
	store.down.Store(false)
	brokertest.Eventually(t, "retry after the store is back", 10*time.Second, func() bool { return len(tr.get()) == 1 })
}

// A tracker that never started (the server failed before) stops at once.
func TestTrackerStopWithoutStart(t *testing.T) {
	n := NewTracker(memory.NewOccupancy(), countingHub{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	n.Occupied("room")
	n.Stop()
}
