package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"time"

	"github.com/densecable/densecable/bench/internal/swarm"
)

// fleet spreads connections over this process and child processes, each
// holding at most perProcess connections (the open-file limit).
type fleet struct {
	log        *slog.Logger
	workers    []worker
	bases      []int // global index of each worker's first connection
	opened     []int // connections requested from each worker so far
	perProcess int
	results    chan swarm.Result
}

// newFleet starts enough workers for capacity connections.
func newFleet(o *common, capacity int, log *slog.Logger) (*fleet, error) {
	limit := raiseNoFile()
	per := connsPerProcess(limit, o.perProcess)
	procs := max(1, (capacity+per-1)/per)
	f := &fleet{log: log, perProcess: per, results: make(chan swarm.Result, 4096)}
	srcs := o.sourceIPs(capacity)
	for w := range procs {
		init := o.childInit(w*per, srcs)
		var wk worker
		var err error
		if w == 0 {
			wk, err = newLocalWorker(init, f.results)
		} else {
			wk, err = startRemoteWorker(init, f.results)
		}
		if err != nil {
			f.close()
			return nil, fmt.Errorf("worker %d: %w", w, err)
		}
		f.workers = append(f.workers, wk)
		f.bases = append(f.bases, w*per)
		f.opened = append(f.opened, 0)
	}
	log.Debug("fleet ready", "processes", procs, "per_process", per, "nofile", limit, "source_ips", len(srcs))
	return f, nil
}

// openTo grows the fleet to total connections, spread evenly over the
// workers, at rate connections per second overall (0 = no limit).
func (f *fleet) openTo(total int, rate float64, maxPending int) error {
	n := len(f.workers)
	if total > n*f.perProcess {
		return fmt.Errorf("fleet holds at most %d connections", n*f.perProcess)
	}
	for w, wk := range f.workers {
		want := total / n
		if w < total%n {
			want++
		}
		add := want - f.opened[w]
		if add <= 0 {
			continue
		}
		if err := wk.open(add, rate/float64(n), max(1, maxPending/n)); err != nil {
			return fmt.Errorf("worker %d open: %w", w, err)
		}
		f.opened[w] = want
	}
	return nil
}

// stats merges every worker's counters.
func (f *fleet) stats() (swarm.Stats, error) {
	var all swarm.Stats
	for w, wk := range f.workers {
		st, err := wk.stats()
		if err != nil {
			return all, fmt.Errorf("worker %d stats: %w", w, err)
		}
		all.Merge(&st)
	}
	return all, nil
}

func (f *fleet) reset() error {
	for w, wk := range f.workers {
		if err := wk.reset(); err != nil {
			return fmt.Errorf("worker %d reset: %w", w, err)
		}
	}
	// Drop results that arrived late from an earlier phase.
	for {
		select {
		case <-f.results:
		default:
			return nil
		}
	}
}

// waitSettled waits until every requested connection subscribed or failed.
func (f *fleet) waitSettled(ctx context.Context, timeout time.Duration) (swarm.Stats, error) {
	deadline := time.Now().Add(timeout)
	for {
		st, err := f.stats()
		if err != nil {
			return st, err
		}
		if st.Settled() {
			return st, nil
		}
		if time.Now().After(deadline) {
			return st, fmt.Errorf("connections not settled after %v: %d subscribed, %d failed of %d",
				timeout, st.Subscribed, st.Failed, st.Target)
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// performRandom sends action on a random subscribed connection, retrying
// others when the chosen one is gone.
func (f *fleet) performRandom(action, padding string) error {
	total := 0
	for _, n := range f.opened {
		total += n
	}
	if total == 0 {
		return errors.New("no connections")
	}
	for range 100 {
		r := rand.IntN(total)
		w := 0
		for r >= f.opened[w] {
			r -= f.opened[w]
			w++
		}
		err := f.workers[w].perform(f.bases[w]+r, action, padding)
		if !errors.Is(err, swarm.ErrNotReady) {
			return err
		}
	}
	return errors.New("no subscribed connection found in 100 tries")
}

// pids lists the load generator's own processes.
func (f *fleet) pids() []int {
	out := []int{os.Getpid()}
	for _, wk := range f.workers[1:] {
		out = append(out, wk.pid())
	}
	return out
}

func (f *fleet) close() {
	for _, wk := range f.workers {
		_ = wk.close()
	}
}
