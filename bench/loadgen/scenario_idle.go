package main

import (
	"context"
	"log/slog"
	"time"
)

// runIdle holds n subscribed connections for hold and reports the
// server's memory per connection above its idle baseline.
func runIdle(ctx context.Context, o *common, n int, hold, every time.Duration, heap heapCapture, log *slog.Logger) (*Row, error) {
	mon, err := o.monitor()
	if err != nil {
		return nil, err
	}
	row := &Row{Scenario: "idle", Label: o.label, Encoding: o.encoding, Conns: n}
	var baseRSS uint64
	if mon.Enabled() {
		s, err := mon.Read()
		if err != nil {
			return nil, err
		}
		baseRSS = s.RSS
		row.ServerRSSBaseMB = mb(baseRSS)
		row.GoroutinesBase = max(mon.Goroutines(ctx), 0)
	}
	probe := beginProbe(ctx, mon)
	f, err := openRow(ctx, o, n, log, row, probe)
	if f == nil {
		return nil, err
	}
	defer f.close()

	// Hold: the connections only receive pings now.
	deadline := time.Now().Add(hold)
	t := time.NewTicker(every)
	defer t.Stop()
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.C:
		}
		cur, err := f.stats()
		if err != nil {
			return nil, err
		}
		log.Debug("holding", "alive", cur.Alive, "dropped", cur.Dropped, "pings", cur.Pings)
	}
	final, err := f.stats()
	if err != nil {
		return nil, err
	}
	row.Dropped = final.Dropped
	row.Errors = final.Errors
	probe.end(ctx, row)
	if heap.file != "" {
		// After the RSS reading: the profile endpoint runs a GC first.
		if err := heap.save(ctx); err != nil {
			row.Note = appendNote(row.Note, err.Error())
		} else {
			row.Note = appendNote(row.Note, "heap profile "+heap.file)
		}
	}
	if row.ServerRSSMB > 0 && final.Alive > 0 {
		row.KBPerConn = (row.ServerRSSMB - row.ServerRSSBaseMB) * 1024 / float64(final.Alive)
	}
	row.ClientRSSMB = mb(clientRSS(f.pids()))
	return row, nil
}
