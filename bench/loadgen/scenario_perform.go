package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/densecable/densecable/bench/internal/swarm"
)

// sampleOpts shape a sample of performs, as websocket-bench does: size
// actions, at most concurrent in flight; an action is done when its
// result (echo or broadcastResult) comes back to the sender.
type sampleOpts struct {
	size          int
	concurrent    int
	padding       string
	resultTimeout time.Duration
	settle        time.Duration // pause between opening and measuring
	// interval, when set, sends one action per interval regardless of
	// results (a steady load) instead of keeping concurrent in flight.
	interval time.Duration
}

// runSample sends opts.size actions and waits for their results. It
// returns how many were sent and how many results never came.
func runSample(ctx context.Context, f *fleet, action string, opts sampleOpts) (sent, missing int, elapsed time.Duration, err error) {
	start := time.Now()
	inFlight := 0
	lastProgress := time.Now()
	var tick <-chan time.Time
	if opts.interval > 0 {
		t := time.NewTicker(opts.interval)
		defer t.Stop()
		tick = t.C
	}
	send := func() error {
		if err := f.performRandom(action, opts.padding); err != nil {
			return fmt.Errorf("perform %s: %w", action, err)
		}
		sent++
		inFlight++
		return nil
	}
	for sent < opts.size || inFlight > 0 {
		for tick == nil && inFlight < opts.concurrent && sent < opts.size {
			if err := send(); err != nil {
				return sent, missing, time.Since(start), err
			}
		}
		if sent >= opts.size {
			tick = nil // steady mode: all sent, only results remain
		}
		select {
		case <-ctx.Done():
			return sent, missing, time.Since(start), ctx.Err()
		case <-tick:
			if err := send(); err != nil {
				return sent, missing, time.Since(start), err
			}
		case <-f.results:
			inFlight--
			lastProgress = time.Now()
		case <-time.After(50 * time.Millisecond):
			if inFlight > 0 && time.Since(lastProgress) > opts.resultTimeout {
				// Results that never come free their slots: the sample goes
				// on and the row reports them.
				missing += inFlight
				inFlight = 0
				lastProgress = time.Now()
			}
		}
	}
	return sent, missing, time.Since(start), nil
}

// waitDeliveries polls until delivered reaches expected or nothing new
// arrives for quiet.
func waitDeliveries(ctx context.Context, f *fleet, expected int64, quiet time.Duration) (swarm.Stats, error) {
	var last int64 = -1
	lastChange := time.Now()
	for {
		st, err := f.stats()
		if err != nil {
			return st, err
		}
		if st.Delivered >= expected {
			return st, nil
		}
		if st.Delivered != last {
			last, lastChange = st.Delivered, time.Now()
		} else if time.Since(lastChange) > quiet {
			return st, nil
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// runBroadcast runs one sample per step: the fleet grows to each step's
// subscriber count, then every broadcast's delivery to every subscriber is
// timed and counted.
func runBroadcast(ctx context.Context, o *common, steps []int, opts sampleOpts, quiet time.Duration, rs rssSampling, log *slog.Logger) ([]*Row, error) {
	if len(steps) == 0 {
		return nil, errors.New("no steps")
	}
	mon, err := o.monitor()
	if err != nil {
		return nil, err
	}
	var baseRSS uint64
	if rs.window > 0 && mon.Enabled() {
		s, err := mon.Read()
		if err != nil {
			return nil, err
		}
		baseRSS = s.RSS
	}
	f, err := newFleet(o, maxInt(steps), log)
	if err != nil {
		return nil, err
	}
	defer f.close()
	var rows []*Row
	for _, n := range steps {
		row := &Row{Scenario: "broadcast", Label: o.label, Encoding: o.encoding, Conns: n, Procs: len(f.workers)}
		rows = append(rows, row)
		peakProbe := beginProbe(ctx, mon) // RSS peak over the whole step
		if err := f.openTo(n, o.rate, o.maxPending); err != nil {
			return rows, err
		}
		st, err := f.waitSettled(ctx, settleTimeout(o, n))
		if err != nil {
			row.Note = appendNote(row.Note, err.Error())
		}
		fillConnect(row, &st)
		row.ElapsedS, row.ConnPerS = 0, 0
		if err := f.reset(); err != nil {
			return rows, err
		}
		if rs.window > 0 && mon.Enabled() {
			if err := rs.fill(ctx, mon, baseRSS, st.Alive, row); err != nil {
				return rows, err
			}
		}
		// Let the server settle after the connection burst so the CPU
		// figure is the broadcasts' own.
		time.Sleep(opts.settle)
		subscribers := st.Alive
		probe := beginProbe(ctx, mon)
		cpu0 := clientCPU(f.pids())
		firstSend := time.Now()
		sent, missing, elapsed, err := runSample(ctx, f, "broadcast", opts)
		if err != nil {
			return rows, err
		}
		row.Sent = sent
		row.PerS = float64(sent) / elapsed.Seconds()
		row.Expected = int64(subscribers) * int64(sent)
		final, err := waitDeliveries(ctx, f, row.Expected, quiet)
		if err != nil {
			return rows, err
		}
		probe.end(ctx, row)
		row.ClientCPUS = (clientCPU(f.pids()) - cpu0).Seconds()
		var peakRow Row
		peakProbe.end(ctx, &peakRow)
		row.ServerPeakMB = peakRow.ServerPeakMB
		row.Delivered = final.Delivered
		if span := time.Duration(final.LastDelivery - firstSend.UnixNano()); final.Delivered > 0 && span > 0 {
			row.FanoutS = span.Seconds()
			row.FanoutPerS = float64(final.Delivered) / span.Seconds()
		}
		if opts.interval > 0 {
			row.Note = appendNote(row.Note, fmt.Sprintf("steady %.0f broadcasts/s", float64(time.Second)/float64(opts.interval)))
		}
		row.ClientReads, row.ClientPolls = final.Reads, final.Polls
		row.Lost = max(0, row.Expected-final.Delivered)
		row.Extra = max(0, final.Delivered-row.Expected)
		row.Dropped = final.Dropped
		row.Errors = final.Errors
		row.setLatency(final.Delivery)
		if final.Result.Count() > 0 {
			row.ResultP50, row.ResultP95 = ms(final.Result.Percentile(50)), ms(final.Result.Percentile(95))
		}
		if missing > 0 {
			row.Note = appendNote(row.Note, fmt.Sprintf("%d broadcastResult replies missing", missing))
		}
		row.ClientRSSMB = mb(clientRSS(f.pids()))
		log.Debug("step done", "subscribers", subscribers, "delivered", final.Delivered, "expected", row.Expected)
	}
	return rows, nil
}

// runEcho measures echo round trips over n connections.
func runEcho(ctx context.Context, o *common, n int, opts sampleOpts, log *slog.Logger) (*Row, error) {
	mon, err := o.monitor()
	if err != nil {
		return nil, err
	}
	f, st, err := openAll(ctx, o, n, log)
	if f == nil {
		return nil, err
	}
	defer f.close()
	row := &Row{Scenario: "echo", Label: o.label, Encoding: o.encoding, Conns: n, Procs: len(f.workers)}
	if err != nil {
		row.Note = appendNote(row.Note, err.Error())
	}
	fillConnect(row, &st)
	row.ElapsedS, row.ConnPerS = 0, 0
	if err := f.reset(); err != nil {
		return nil, err
	}
	probe := beginProbe(ctx, mon)
	cpu0 := clientCPU(f.pids())
	sent, missing, elapsed, err := runSample(ctx, f, "echo", opts)
	if err != nil {
		return nil, err
	}
	final, err := f.stats()
	if err != nil {
		return nil, err
	}
	probe.end(ctx, row)
	row.ClientCPUS = (clientCPU(f.pids()) - cpu0).Seconds()
	row.Sent = sent
	row.ElapsedS = elapsed.Seconds()
	row.PerS = float64(sent) / elapsed.Seconds()
	row.setLatency(final.Result)
	row.Dropped = final.Dropped
	row.Errors = final.Errors
	if missing > 0 {
		row.Lost = int64(missing)
		row.Note = appendNote(row.Note, fmt.Sprintf("%d echoes never came back", missing))
	}
	row.ClientRSSMB = mb(clientRSS(f.pids()))
	return row, nil
}

func maxInt(xs []int) int {
	m := 0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}
