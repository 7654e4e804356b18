// Package hist is a log-linear latency histogram: constant memory, mergeable
// across processes, percentiles within 1/64 (1.6 %) of the true value.
//
// Values are recorded in microseconds. Below 128 µs every value has its own
// bucket; above, each power of two is split into 64 equal buckets, so a
// bucket's width is at most 1/64 of its lower bound.
package hist

import (
	"math"
	"math/bits"
	"time"
)

const (
	subBits  = 6
	subCount = 1 << subBits // buckets per power of two
	maxExp   = 40           // values are clamped below 2^40 µs (about 12.7 days)
	// NumBuckets is the fixed number of counters a Histogram holds.
	NumBuckets = subCount + (maxExp-subBits)*subCount
	maxValue   = 1<<maxExp - 1
)

// Histogram counts durations. The zero value is not usable; call New.
// Not safe for concurrent use: each event loop owns its own and the
// coordinator merges snapshots.
type Histogram struct {
	counts []uint64
	total  uint64
	sumUS  uint64
	minUS  uint64
	maxUS  uint64
}

// New returns an empty histogram.
func New() *Histogram {
	return &Histogram{counts: make([]uint64, NumBuckets), minUS: math.MaxUint64}
}

// bucketOf maps a value in µs to its bucket index.
func bucketOf(v uint64) int {
	if v < 2*subCount {
		return int(v)
	}
	p := bits.Len64(v) - 1 // position of the leading one, ≥ subBits+1
	shift := p - subBits
	return subCount + (shift)*subCount + int(v>>shift) - subCount
}

// bucketBounds returns the smallest value of bucket i and its width.
func bucketBounds(i int) (low, width uint64) {
	if i < 2*subCount {
		return uint64(i), 1
	}
	shift := uint((i - subCount) / subCount)
	idx := uint64((i-subCount)%subCount) + subCount
	return idx << shift, 1 << shift
}

// Record adds one duration. Negative durations (clock skew between
// processes) count as zero.
func (h *Histogram) Record(d time.Duration) {
	us := uint64(0)
	if d > 0 {
		us = uint64(d / time.Microsecond)
	}
	h.RecordMicros(us)
}

// RecordMicros adds one value given in microseconds.
func (h *Histogram) RecordMicros(us uint64) {
	if us > maxValue {
		us = maxValue
	}
	h.counts[bucketOf(us)]++
	h.total++
	h.sumUS += us
	if us < h.minUS {
		h.minUS = us
	}
	if us > h.maxUS {
		h.maxUS = us
	}
}

// Count is the number of recorded values.
func (h *Histogram) Count() uint64 { return h.total }

// Max is the largest recorded value (exact), 0 when empty.
func (h *Histogram) Max() time.Duration { return time.Duration(h.maxUS) * time.Microsecond }

// Min is the smallest recorded value (exact), 0 when empty.
func (h *Histogram) Min() time.Duration {
	if h.total == 0 {
		return 0
	}
	return time.Duration(h.minUS) * time.Microsecond
}

// Mean is the average of the recorded values, 0 when empty.
func (h *Histogram) Mean() time.Duration {
	if h.total == 0 {
		return 0
	}
	return time.Duration(h.sumUS/h.total) * time.Microsecond
}

// Percentile returns the nearest-rank q-th percentile (0 < q ≤ 100): the
// smallest recorded value such that at least q % of the values are ≤ it,
// approximated by the middle of its bucket and clamped to [Min, Max].
func (h *Histogram) Percentile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q / 100 * float64(h.total)))
	if rank < 1 {
		rank = 1
	}
	if rank > h.total {
		rank = h.total
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			low, width := bucketBounds(i)
			v := low + (width-1)/2
			v = max(v, h.minUS)
			v = min(v, h.maxUS)
			return time.Duration(v) * time.Microsecond
		}
	}
	return h.Max()
}

// Merge adds every value of o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o == nil || o.total == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.total += o.total
	h.sumUS += o.sumUS
	h.minUS = min(h.minUS, o.minUS)
	h.maxUS = max(h.maxUS, o.maxUS)
}

// Reset empties h, keeping its memory.
func (h *Histogram) Reset() {
	clear(h.counts)
	h.total, h.sumUS, h.maxUS, h.minUS = 0, 0, 0, math.MaxUint64
}

// Clone returns an independent copy.
func (h *Histogram) Clone() *Histogram {
	c := *h
	c.counts = append([]uint64(nil), h.counts...)
	return &c
}
