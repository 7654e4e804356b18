package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/densecable/densecable/bench/internal/swarm"
)

// openAll starts a fleet for n connections and opens them, returning the
// fleet (to be closed by the caller) and the settled stats.
func openAll(ctx context.Context, o *common, n int, log *slog.Logger) (*fleet, swarm.Stats, error) {
	f, err := newFleet(o, n, log)
	if err != nil {
		return nil, swarm.Stats{}, err
	}
	if err := f.openTo(n, o.rate, o.maxPending); err != nil {
		f.close()
		return nil, swarm.Stats{}, err
	}
	st, err := f.waitSettled(ctx, settleTimeout(o, n))
	return f, st, err
}

// openRow opens n connections for row (openAll) and fills its connection
// columns and connect latency; an error that still left a fleet goes into
// the row's note. A nil fleet means nothing opened: the probe is ended on
// the row and err says why.
func openRow(ctx context.Context, o *common, n int, log *slog.Logger, row *Row, probe *serverProbe) (*fleet, error) {
	f, st, err := openAll(ctx, o, n, log)
	if f == nil {
		probe.end(ctx, row)
		return nil, err
	}
	if err != nil {
		row.Note = appendNote(row.Note, err.Error())
	}
	row.Procs = len(f.workers)
	fillConnect(row, &st)
	row.setLatency(st.Connect)
	return f, nil
}

// fillConnect fills the connection columns of a row from settled stats.
func fillConnect(r *Row, st *swarm.Stats) {
	r.OK, r.Failed, r.Dropped = st.Subscribed, st.Failed, st.Dropped
	r.Errors = st.Errors
	if st.LastReady > st.FirstStart && st.FirstStart > 0 {
		elapsed := time.Duration(st.LastReady - st.FirstStart)
		r.ElapsedS = elapsed.Seconds()
		r.ConnPerS = float64(st.Subscribed) / elapsed.Seconds()
	}
}

// runConnect opens n connections at the configured rate and reports how
// long it took, the rate achieved and the time each took to subscribe.
func runConnect(ctx context.Context, o *common, n int, log *slog.Logger) (*Row, error) {
	mon, err := o.monitor()
	if err != nil {
		return nil, err
	}
	row := &Row{Scenario: "connect", Label: o.label, Encoding: o.encoding, Conns: n}
	if o.rate > 0 {
		row.Note = fmt.Sprintf("rate %.0f/s", o.rate)
	} else {
		row.Note = "rate unlimited"
	}
	probe := beginProbe(ctx, mon)
	cpu0 := clientCPU([]int{os.Getpid()})
	f, err := openRow(ctx, o, n, log, row, probe)
	if f == nil {
		return nil, err
	}
	defer f.close()
	probe.end(ctx, row)
	row.ClientCPUS = (clientCPU(f.pids()) - cpu0).Seconds() // children's start-up included
	row.ClientRSSMB = mb(clientRSS(f.pids()))
	return row, nil
}
