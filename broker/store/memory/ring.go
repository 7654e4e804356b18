package memory

// entry is one retained publication.
type entry struct {
	offset uint64
	ts     int64 // Unix seconds
	data   string
	btype  string // meta.broadcast_type
}

// ring holds a stream's retained entries, oldest first. It grows on
// demand up to the history limit (most streams hold a few messages) and
// gives memory back when it empties.
type ring struct {
	buf  []entry
	head int // index of the oldest entry
	n    int
}

const ringMinCap = 4

func (r *ring) len() int { return r.n }

// at returns the i-th oldest entry.
func (r *ring) at(i int) *entry { return &r.buf[(r.head+i)%len(r.buf)] }

// push appends e, dropping the oldest entry when limit entries are held.
func (r *ring) push(e entry, limit int) {
	if limit <= 0 {
		return
	}
	if r.n >= limit { // full: the capacity never exceeds the limit
		r.buf[r.head] = e
		r.head = (r.head + 1) % len(r.buf)
		return
	}
	if r.n == len(r.buf) {
		r.resize(min(max(ringMinCap, 2*len(r.buf)), limit))
	}
	r.buf[(r.head+r.n)%len(r.buf)] = e
	r.n++
}

// dropOldest removes the k oldest entries.
func (r *ring) dropOldest(k int) {
	k = min(k, r.n)
	for i := 0; i < k; i++ {
		*r.at(i) = entry{} // let the strings go
	}
	if k > 0 {
		r.head = (r.head + k) % len(r.buf)
		r.n -= k
	}
	switch {
	case r.n == 0:
		r.buf, r.head = nil, 0
	case len(r.buf) > 4*ringMinCap && r.n <= len(r.buf)/4:
		r.resize(len(r.buf) / 2)
	}
}

func (r *ring) resize(capacity int) {
	fresh := make([]entry, capacity)
	for i := 0; i < r.n; i++ {
		fresh[i] = *r.at(i)
	}
	r.buf, r.head = fresh, 0
}
