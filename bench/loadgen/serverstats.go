package main

import (
	"context"
	"time"

	"github.com/densecable/densecable/bench/internal/procstat"
)

// serverProbe records the server's state around a measured phase.
type serverProbe struct {
	mon      *procstat.Monitor
	start    procstat.Sample
	peak     func() uint64
	startErr error
}

// begin samples the server and starts watching its peak RSS.
func beginProbe(ctx context.Context, mon *procstat.Monitor) *serverProbe {
	p := &serverProbe{mon: mon}
	if mon.Enabled() {
		p.start, p.startErr = mon.Read()
	}
	p.peak = mon.WatchPeak(ctx)
	return p
}

// end fills the row's server columns: RSS now and at peak, CPU seconds
// used since begin, goroutines now.
func (p *serverProbe) end(ctx context.Context, r *Row) {
	peak := p.peak()
	if !p.mon.Enabled() || p.startErr != nil {
		return
	}
	now, err := p.mon.Read()
	if err != nil {
		r.Note = appendNote(r.Note, "server sample failed: "+err.Error())
		return
	}
	r.ServerRSSMB = mb(now.RSS)
	r.ServerPeakMB = mb(peak)
	r.ServerCPUS = (now.CPU - p.start.CPU).Seconds()
	r.Goroutines = p.mon.Goroutines(ctx)
	r.GoroutineSource = p.mon.GoroutineSourceName()
	if r.Goroutines < 0 {
		r.Goroutines = 0
	}
}

// clientCPU sums the CPU time the load generator's processes used so far.
func clientCPU(pids []int) time.Duration {
	var total time.Duration
	for _, pid := range pids {
		if s, err := procstat.Read(pid); err == nil {
			total += s.CPU
		}
	}
	return total
}

// clientRSS sums the resident memory of the load generator's processes.
func clientRSS(pids []int) uint64 {
	var total uint64
	for _, pid := range pids {
		if s, err := procstat.Read(pid); err == nil {
			total += s.RSS
		}
	}
	return total
}

func appendNote(note, s string) string {
	if note == "" {
		return s
	}
	return note + "; " + s
}

// settleTimeout is how long opening n connections may take.
func settleTimeout(o *common, n int) time.Duration {
	d := o.timeout + time.Duration(n)*time.Second/500
	if o.rate > 0 {
		d += time.Duration(float64(n) / o.rate * float64(time.Second))
	}
	return d
}
