package memlimit

import "fmt"

// GCPercent is the collector's target when GOGC is unset: the heap may
// grow 50% over the live heap between collections, not Go's 100%. An idle
// connection's live heap is about 0.9 KB, and the growth allowance is most
// of the rest of its resident memory: at 19,000 idle JSON clients, 1.8 KB
// per connection with 50 against 2.3 KB with 100 (docs/benchmarks.md,
// "Idle connections"). The cost is collections twice as often under
// allocation (connects, broadcasts): see the same section for the
// connect-CPU figures. GOGC in the environment always wins.
const GCPercent = 50

// ApplyGC sets the collector's target to GCPercent (through set, which is
// debug.SetGCPercent in the server) unless getenv("GOGC") is set. It
// returns the start-up log line.
func ApplyGC(getenv func(string) string, set func(int) int) string {
	if v := getenv("GOGC"); v != "" {
		return "GC target from GOGC=" + v
	}
	set(GCPercent)
	return fmt.Sprintf("GC target GOGC=%d (densecable's default for many idle connections; GOGC overrides)", GCPercent)
}
