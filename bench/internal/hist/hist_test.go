package hist

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// exactPercentile is the nearest-rank percentile of sorted values.
func exactPercentile(sorted []uint64, q float64) uint64 {
	rank := int(math.Ceil(q / 100 * float64(len(sorted))))
	rank = max(rank, 1)
	return sorted[rank-1]
}

func TestBucketsCoverEveryValueOnce(t *testing.T) {
	// Every value must land in a bucket whose bounds contain it, and bucket
	// indexes must grow with the value.
	prev := -1
	for _, v := range []uint64{0, 1, 63, 64, 127, 128, 129, 255, 256, 1000, 65535, 1 << 20, maxValue} {
		i := bucketOf(v)
		if i < prev || i >= NumBuckets {
			t.Fatalf("value %d: bucket %d (prev %d, max %d)", v, i, prev, NumBuckets)
		}
		low, width := bucketBounds(i)
		if v < low || v >= low+width {
			t.Fatalf("value %d outside bucket %d [%d,%d)", v, i, low, low+width)
		}
		if width > 1 && float64(width)/float64(low) > 1.0/subCount+1e-9 {
			t.Fatalf("bucket %d too wide: %d at %d", i, width, low)
		}
		prev = i
	}
}

func TestPercentilesMatchExactWithinResolution(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 7, 100, 10_000} {
		h := New()
		vals := make([]uint64, n)
		for i := range vals {
			// log-uniform between 1 µs and ~10 s, the range of interest
			vals[i] = uint64(math.Exp(r.Float64() * math.Log(1e7)))
			h.RecordMicros(vals[i])
		}
		slices.Sort(vals)
		for _, q := range []float64{1, 50, 90, 95, 99, 99.9, 100} {
			want := exactPercentile(vals, q)
			got := uint64(h.Percentile(q) / time.Microsecond)
			tol := float64(want)/subCount + 1
			if math.Abs(float64(got)-float64(want)) > tol {
				t.Errorf("n=%d p%v: got %d µs, want %d ± %.1f", n, q, got, want, tol)
			}
		}
		if uint64(h.Max()/time.Microsecond) != vals[n-1] || uint64(h.Min()/time.Microsecond) != vals[0] {
			t.Errorf("n=%d: min/max %v/%v, want %d/%d", n, h.Min(), h.Max(), vals[0], vals[n-1])
		}
	}
}

func TestSmallValuesAreExact(t *testing.T) {
	h := New()
	for v := uint64(1); v <= 100; v++ {
		h.RecordMicros(v)
	}
	if got := h.Percentile(50); got != 50*time.Microsecond {
		t.Fatalf("p50 = %v, want 50µs", got)
	}
	if got := h.Percentile(95); got != 95*time.Microsecond {
		t.Fatalf("p95 = %v, want 95µs", got)
	}
	if got := h.Mean(); got != 50*time.Microsecond { // 5050/100 = 50 (integer division)
		t.Fatalf("mean = %v", got)
	}
}

func TestEmptyAndNegative(t *testing.T) {
	h := New()
	if h.Percentile(99) != 0 || h.Max() != 0 || h.Min() != 0 || h.Mean() != 0 {
		t.Fatal("empty histogram must report zeros")
	}
	h.Record(-5 * time.Millisecond)
	if h.Count() != 1 || h.Max() != 0 {
		t.Fatalf("negative duration: count %d max %v", h.Count(), h.Max())
	}
	h.Record(1000 * 24 * time.Hour)
	if h.Max() != time.Duration(maxValue)*time.Microsecond {
		t.Fatalf("huge value not clamped: %v", h.Max())
	}
}

func TestMergeEqualsRecordingTogether(t *testing.T) {
	a, b, all := New(), New(), New()
	for i := range 1000 {
		d := time.Duration(i*i) * time.Microsecond
		if i%3 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
		all.Record(d)
	}
	a.Merge(b)
	for _, q := range []float64{50, 95, 99} {
		if a.Percentile(q) != all.Percentile(q) {
			t.Fatalf("p%v: merged %v, direct %v", q, a.Percentile(q), all.Percentile(q))
		}
	}
	if a.Count() != all.Count() || a.Min() != all.Min() || a.Max() != all.Max() || a.Mean() != all.Mean() {
		t.Fatal("merged summary differs")
	}
	a.Reset()
	if a.Count() != 0 || a.Percentile(50) != 0 {
		t.Fatal("reset did not empty")
	}
}

func TestJSONRoundTrip(t *testing.T) {
	h := New()
	for _, v := range []uint64{3, 300, 30_000, 3_000_000} {
		h.RecordMicros(v)
	}
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	var back Histogram
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Count() != 4 || back.Min() != h.Min() || back.Max() != h.Max() || back.Percentile(50) != h.Percentile(50) {
		t.Fatalf("round trip lost data: %s", b)
	}
	if err := json.Unmarshal([]byte(`{"b":[[99999,1]]}`), &back); err == nil {
		t.Fatal("out-of-range bucket accepted")
	}
}

func FuzzUnmarshal(f *testing.F) {
	f.Add([]byte(`{"b":[[1,2],[300,1]],"s":10,"mn":1,"mx":400}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"b":[[2239,18446744073709551615]]}`))
	f.Add([]byte(`{"b":[[1,18446744073709551615],[2,1]]}`))
	f.Add([]byte(`{"b":[[1,1]],"mn":9,"mx":3}`))
	f.Add([]byte(`{"b":[[5,1],[5,2]],"s":1}`))
	// An accepted histogram is one MarshalJSON can write back unchanged, and
	// its percentiles grow with q and stay within [Min, Max].
	f.Fuzz(func(t *testing.T, b []byte) {
		var h Histogram
		if err := json.Unmarshal(b, &h); err != nil {
			return
		}
		var sum uint64
		for _, c := range h.counts {
			sum += c
		}
		if sum != h.Count() {
			t.Fatalf("%s: counts add up to %d, Count is %d", b, sum, h.Count())
		}
		again, err := json.Marshal(&h)
		if err != nil {
			t.Fatal(err)
		}
		var back Histogram
		if err := json.Unmarshal(again, &back); err != nil {
			t.Fatalf("%s re-encoded as %s: %v", b, again, err)
		}
		if !slices.Equal(back.counts, h.counts) || back.total != h.total || back.sumUS != h.sumUS ||
			back.Min() != h.Min() || back.Max() != h.Max() {
			t.Fatalf("%s -> %s changed the histogram", b, again)
		}
		prev := time.Duration(0)
		for _, q := range []float64{0.1, 1, 25, 50, 75, 90, 99, 99.9, 100} {
			p := h.Percentile(q)
			if p < prev || h.Count() > 0 && (p < h.Min() || p > h.Max()) {
				t.Fatalf("%s: p%v = %v after %v; min %v max %v", b, q, p, prev, h.Min(), h.Max())
			}
			prev = p
		}
	})
}
