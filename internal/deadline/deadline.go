// Package deadline runs many timeouts from one goroutine: items sit in a
// min-heap keyed by when they are due, and a ticker pops the due ones. A
// held HTTP request, a long-poll flush or a session's keep-alive costs a
// heap slot, never a timer or a goroutine of its own.
package deadline

import (
	"sync"
	"time"
)

// Slot is embedded (by value) in whatever is scheduled; the queue owns it.
type Slot struct {
	at  int64 // Unix ns
	pos int   // index+1 in the heap; 0 = not scheduled
}

// Item is a scheduled value: a pointer whose type embeds Slot.
type Item interface{ slot() *Slot }

func (s *Slot) slot() *Slot { return s }

// Queue is the heap and its goroutine. fire runs on that goroutine, for
// each item whose deadline passed, after the item left the heap and
// without the queue's lock (it may Set the item again).
type Queue[T Item] struct {
	tick time.Duration
	fire func(T, time.Time)

	mu   sync.Mutex
	heap []T

	done chan struct{}
	once sync.Once
}

// New starts a queue whose deadlines are honoured within tick.
func New[T Item](tick time.Duration, fire func(T, time.Time)) *Queue[T] {
	q := &Queue[T]{tick: tick, fire: fire, done: make(chan struct{})}
	go q.run()
	return q
}

// Set schedules x at at, moving it if it was scheduled already.
func (q *Queue[T]) Set(x T, at time.Time) {
	s := x.slot()
	q.mu.Lock()
	s.at = at.UnixNano()
	if s.pos == 0 {
		q.heap = append(q.heap, x)
		s.pos = len(q.heap)
		q.up(len(q.heap) - 1)
	} else {
		q.down(s.pos - 1)
		q.up(s.pos - 1)
	}
	q.mu.Unlock()
}

// Remove unschedules x (nothing if it was not scheduled).
func (q *Queue[T]) Remove(x T) {
	q.mu.Lock()
	q.remove(x.slot().pos - 1)
	q.mu.Unlock()
}

// Len is how many items are scheduled.
func (q *Queue[T]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.heap)
}

// Stop ends the goroutine; scheduled items never fire.
func (q *Queue[T]) Stop() { q.once.Do(func() { close(q.done) }) }

func (q *Queue[T]) remove(i int) {
	if i < 0 {
		return
	}
	last := len(q.heap) - 1
	if i != last {
		q.swap(i, last)
	}
	q.heap[last].slot().pos = 0
	var zero T
	q.heap[last] = zero
	q.heap = q.heap[:last]
	if i != last {
		q.down(i)
		q.up(i)
	}
	// Give memory back after a mass expiry.
	if c := cap(q.heap); c > 1024 && len(q.heap) < c/4 {
		q.heap = append(make([]T, 0, c/2), q.heap...)
	}
}

// due pops every item due at now into batch.
func (q *Queue[T]) due(now time.Time, batch []T) []T {
	t := now.UnixNano()
	q.mu.Lock()
	for len(q.heap) > 0 && q.heap[0].slot().at <= t {
		batch = append(batch, q.heap[0])
		q.remove(0)
	}
	q.mu.Unlock()
	return batch
}

func (q *Queue[T]) run() {
	t := time.NewTicker(q.tick)
	defer t.Stop()
	var batch []T
	var zero T
	for {
		select {
		case <-q.done:
			return
		case now := <-t.C:
			batch = q.due(now, batch[:0])
			for i, x := range batch {
				batch[i] = zero
				q.fire(x, now)
			}
		}
	}
}

func (q *Queue[T]) less(i, j int) bool { return q.heap[i].slot().at < q.heap[j].slot().at }

func (q *Queue[T]) swap(i, j int) {
	q.heap[i], q.heap[j] = q.heap[j], q.heap[i]
	q.heap[i].slot().pos = i + 1
	q.heap[j].slot().pos = j + 1
}

func (q *Queue[T]) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !q.less(i, p) {
			return
		}
		q.swap(i, p)
		i = p
	}
}

func (q *Queue[T]) down(i int) {
	n := len(q.heap)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && q.less(r, l) {
			m = r
		}
		if !q.less(m, i) {
			return
		}
		q.swap(i, m)
		i = m
	}
}
