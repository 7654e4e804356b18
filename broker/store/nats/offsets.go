package natsstore

import (
	"hash/maphash"
	"sync"
)

// maxCachedOffsets bounds the offset cache; past it, half is dropped (the
// dropped streams cost one read on their next publication).
const maxCachedOffsets = 16 << 10

// lastMsg is where a stream's history ends: the last offset, the stream
// sequence of that message and the epoch it was written under.
type lastMsg struct {
	offset, seq uint64
	epoch       string
}

// offsetCache remembers each stream's last message as this node wrote it,
// so a publication usually needs a single round trip; a stale entry (another
// node published since) only costs a failed compare-and-set and a re-read.
type offsetCache struct {
	mu sync.Mutex
	m  map[string]lastMsg
}

func (c *offsetCache) get(stream string) (lastMsg, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.m[stream]
	return l, ok
}

func (c *offsetCache) put(stream string, l lastMsg) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]lastMsg)
	}
	if len(c.m) >= maxCachedOffsets {
		n := 0
		for k := range c.m { // map order is random enough to pick victims
			delete(c.m, k)
			if n++; n >= maxCachedOffsets/2 {
				break
			}
		}
	}
	c.m[stream] = l
}

func (c *offsetCache) forget(stream string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, stream)
}

func (c *offsetCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.m)
}

// stripedLocks serialize work per key without a mutex per key.
type stripedLocks struct {
	seed  maphash.Seed
	locks [256]sync.Mutex
}

func newStripedLocks() *stripedLocks { return &stripedLocks{seed: maphash.MakeSeed()} }

func (s *stripedLocks) of(key string) *sync.Mutex {
	return &s.locks[maphash.String(s.seed, key)%uint64(len(s.locks))]
}
