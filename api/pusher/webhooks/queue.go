package webhooks

import "sync"

// queue is a bounded FIFO of events that drops its oldest when full: a
// receiver that is down or slow costs at most the bound, and what is sent
// when it comes back is the most recent.
type queue struct {
	mu      sync.Mutex
	buf     []Event // ring
	head, n int
	dropped uint64
	wake    chan struct{}
}

func newQueue(size int) *queue {
	return &queue{buf: make([]Event, size), wake: make(chan struct{}, 1)}
}

// push adds e; it reports whether an older event was dropped for it.
func (q *queue) push(e Event) (dropped bool) {
	q.mu.Lock()
	if q.n == len(q.buf) {
		q.head = (q.head + 1) % len(q.buf)
		q.n--
		q.dropped++
		dropped = true
	}
	q.buf[(q.head+q.n)%len(q.buf)] = e
	q.n++
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return dropped
}

// pop takes up to max events, oldest first.
func (q *queue) pop(max int) []Event {
	q.mu.Lock()
	defer q.mu.Unlock()
	k := min(max, q.n)
	out := make([]Event, k)
	for i := range k {
		out[i] = q.buf[(q.head+i)%len(q.buf)]
		q.buf[(q.head+i)%len(q.buf)] = Event{}
	}
	q.head = (q.head + k) % len(q.buf)
	q.n -= k
	return out
}

func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

func (q *queue) droppedCount() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.dropped
}
