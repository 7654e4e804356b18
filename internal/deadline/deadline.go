// Package deadline runs many timeouts without a timer each: items sit in a
// min-heap keyed by when they are due (Heap), and a Queue pops the due
// ones from one goroutine. A held HTTP request, a long-poll flush, a
// session's keep-alive or its next ping costs a heap slot, never a timer
// or a goroutine of its own.
package deadline

import (
	"sync"
	"time"
)

// Queue is a Heap under a lock, with the goroutine that fires it. fire
// runs on that goroutine, for each item whose deadline passed, after the
// item left the heap and without the queue's lock (it may Set the item
// again).
type Queue[T Item] struct {
	tick time.Duration
	fire func(T, time.Time)

	mu   sync.Mutex
	heap Heap[T]

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
	q.mu.Lock()
	q.heap.Set(x, at.UnixNano())
	q.mu.Unlock()
}

// Remove unschedules x (nothing if it was not scheduled).
func (q *Queue[T]) Remove(x T) {
	q.mu.Lock()
	q.heap.Remove(x)
	q.mu.Unlock()
}

// Len is how many items are scheduled.
func (q *Queue[T]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.heap.Len()
}

// Stop ends the goroutine; scheduled items never fire.
func (q *Queue[T]) Stop() { q.once.Do(func() { close(q.done) }) }

// due pops every item due at now into batch.
func (q *Queue[T]) due(now time.Time, batch []T) []T {
	q.mu.Lock()
	batch = q.heap.PopDue(now.UnixNano(), batch)
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
