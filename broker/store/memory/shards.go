package memory

const (
	shardCount = 64 // a power of two
	// A shard map is rebuilt when it has shrunk to a quarter of its peak
	// (and the peak was at least this): Go maps never give memory back.
	shrinkMinPeak = 128
)

// shardOf picks a shard by FNV-1a of the key (no allocation).
func shardOf(key string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(key); i++ {
		h ^= uint32(key[i])
		h *= 16777619
	}
	return h & (shardCount - 1)
}

// peakTracker remembers a map's largest size since it was last rebuilt.
type peakTracker struct{ peak int }

func (p *peakTracker) grew(n int) {
	if n > p.peak {
		p.peak = n
	}
}

// shouldShrink reports whether a map now holding n entries should be
// copied into a fresh, smaller one.
func (p *peakTracker) shouldShrink(n int) bool {
	return p.peak >= shrinkMinPeak && n <= p.peak/4
}

// shrunk copies m into a map sized for its current content.
func shrunk[V any](m map[string]V, p *peakTracker) map[string]V {
	fresh := make(map[string]V, len(m))
	for k, v := range m {
		fresh[k] = v
	}
	p.peak = len(fresh)
	return fresh
}
