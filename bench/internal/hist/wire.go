package hist

import (
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
)

// wireForm is the sparse JSON form used between load-generator processes:
// only non-empty buckets travel.
type wireForm struct {
	Buckets [][2]uint64 `json:"b,omitempty"` // [index, count]
	Sum     uint64      `json:"s,omitempty"`
	Min     uint64      `json:"mn,omitempty"`
	Max     uint64      `json:"mx,omitempty"`
}

// MarshalJSON encodes the non-empty buckets only.
func (h *Histogram) MarshalJSON() ([]byte, error) {
	w := wireForm{Sum: h.sumUS, Max: h.maxUS}
	if h.total > 0 {
		w.Min = h.minUS
	}
	for i, c := range h.counts {
		if c > 0 {
			w.Buckets = append(w.Buckets, [2]uint64{uint64(i), c})
		}
	}
	return json.Marshal(w)
}

// UnmarshalJSON decodes what MarshalJSON wrote, rejecting what it cannot
// have written: out-of-range bucket indexes, a count that overflows, a
// minimum above the maximum.
func (h *Histogram) UnmarshalJSON(b []byte) error {
	var w wireForm
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("hist: %w", err)
	}
	if h.counts == nil {
		h.counts = make([]uint64, NumBuckets)
	}
	h.Reset()
	for _, bc := range w.Buckets {
		if bc[0] >= NumBuckets {
			return fmt.Errorf("hist: bucket %d out of range", bc[0])
		}
		total, carry := bits.Add64(h.total, bc[1], 0)
		if carry != 0 {
			return fmt.Errorf("hist: count overflows")
		}
		h.counts[bc[0]] += bc[1]
		h.total = total
	}
	if h.total > 0 && w.Min > w.Max {
		return fmt.Errorf("hist: minimum %d above maximum %d", w.Min, w.Max)
	}
	h.sumUS, h.maxUS = w.Sum, w.Max
	h.minUS = math.MaxUint64
	if h.total > 0 {
		h.minUS = w.Min
	}
	return nil
}
