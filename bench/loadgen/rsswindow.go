package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/densecable/densecable/bench/internal/procstat"
)

// rssSampling reads the server's resident memory while the subscribed
// connections sit idle: delay after the last subscription (the connect
// burst's garbage and buffers settle), then the median of readings over
// window. No GC is forced: the figure is what the host pays.
type rssSampling struct {
	delay, window time.Duration
}

// rssEvery is the reading interval within the window.
const rssEvery = 500 * time.Millisecond

// fill sets the row's idle RSS and KB per connection above baseRSS.
func (rs rssSampling) fill(ctx context.Context, mon *procstat.Monitor, baseRSS uint64, alive int, row *Row) error {
	if err := sleepCtx(ctx, rs.delay); err != nil {
		return err
	}
	var samples []uint64
	end := time.Now().Add(rs.window)
	for {
		s, err := mon.Read()
		if err != nil {
			return err
		}
		samples = append(samples, s.RSS)
		if time.Now().After(end) {
			break
		}
		if err := sleepCtx(ctx, rssEvery); err != nil {
			return err
		}
	}
	slices.Sort(samples)
	med := samples[len(samples)/2]
	row.ServerRSSBaseMB = mb(baseRSS)
	row.ServerRSSIdleMB = mb(med)
	if alive > 0 && med > baseRSS {
		row.KBPerConn = float64(med-baseRSS) / 1024 / float64(alive)
	}
	row.Note = appendNote(row.Note, fmt.Sprintf("idle RSS: median of %d readings over %v, %v after the last subscription", len(samples), rs.window, rs.delay))
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
