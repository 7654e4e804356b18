package procstat

import (
	"context"
	"sync"
	"time"
)

// Monitor watches the server's processes during a scenario: it samples RSS
// in the background to catch the peak, and answers point readings. Several
// processes (one server spread over SO_REUSEPORT processes) are read as
// one: their RSS, threads and CPU summed.
type Monitor struct {
	pids  []int
	gsrc  GoroutineSource
	every time.Duration
}

// NewMonitor watches pid (0 disables every reading) with an optional
// goroutine source.
func NewMonitor(pid int, gsrc GoroutineSource, every time.Duration) *Monitor {
	if pid <= 0 {
		return &Monitor{gsrc: gsrc, every: every}
	}
	return NewMonitorSum([]int{pid}, gsrc, every)
}

// NewMonitorSum watches the sum of pids (none disables every reading).
func NewMonitorSum(pids []int, gsrc GoroutineSource, every time.Duration) *Monitor {
	return &Monitor{pids: pids, gsrc: gsrc, every: every}
}

// Enabled reports whether there is a process to watch.
func (m *Monitor) Enabled() bool { return m != nil && len(m.pids) > 0 }

// GoroutineSourceName names the goroutine source ("" when none).
func (m *Monitor) GoroutineSourceName() string {
	if m == nil || m.gsrc == nil {
		return ""
	}
	return m.gsrc.Name()
}

// Read samples the process now.
func (m *Monitor) Read() (Sample, error) { return ReadSum(m.pids) }

// Goroutines asks the goroutine source; -1 when there is none or it fails.
func (m *Monitor) Goroutines(ctx context.Context) int {
	if m == nil || m.gsrc == nil {
		return -1
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	n, err := m.gsrc.Goroutines(ctx)
	if err != nil {
		return -1
	}
	return n
}

// WatchPeak samples RSS until the returned function is called and returns
// a function that reports the highest RSS seen (including one last sample
// taken when it is called). Watches are independent of each other.
func (m *Monitor) WatchPeak(ctx context.Context) func() uint64 {
	if !m.Enabled() {
		return func() uint64 { return 0 }
	}
	var (
		mu   sync.Mutex
		peak uint64
	)
	observe := func() {
		if s, err := ReadSum(m.pids); err == nil {
			mu.Lock()
			peak = max(peak, s.RSS)
			mu.Unlock()
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(m.every)
		defer t.Stop()
		for {
			observe()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		cancel()
		<-done
		observe()
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}
