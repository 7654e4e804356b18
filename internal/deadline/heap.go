package deadline

import "fmt"

// Slot is embedded (by value) in whatever is scheduled; the heap owns it.
type Slot struct {
	at  int64 // Unix ns
	pos int   // index+1 in the heap; 0 = not scheduled
}

// DeadlineSlot makes a type that embeds Slot an Item.
func (s *Slot) DeadlineSlot() *Slot { return s }

// At is when the item is due (Unix ns); meaningful while Scheduled.
func (s *Slot) At() int64 { return s.at }

// Scheduled reports whether the item is in a heap.
func (s *Slot) Scheduled() bool { return s.pos != 0 }

// Item is a scheduled value: a pointer whose type embeds Slot.
type Item interface{ DeadlineSlot() *Slot }

// Heap is a min-heap of items by deadline, with no lock and no goroutine
// of its own (Queue adds those; a scheduler with its own lock and loop,
// such as the session pinger, can use it directly). Each item knows its position, so moving or removing one is
// O(log n).
type Heap[T Item] struct{ items []T }

// Len is how many items are scheduled.
func (h *Heap[T]) Len() int { return len(h.items) }

// Set schedules x at (Unix ns), moving it if it was scheduled already.
func (h *Heap[T]) Set(x T, at int64) {
	s := x.DeadlineSlot()
	s.at = at
	if s.pos == 0 {
		h.items = append(h.items, x)
		s.pos = len(h.items)
		h.up(len(h.items) - 1)
		return
	}
	h.down(s.pos - 1)
	h.up(s.pos - 1)
}

// Remove unschedules x (nothing if it was not scheduled).
func (h *Heap[T]) Remove(x T) { h.removeAt(x.DeadlineSlot().pos - 1) }

// Peek returns the earliest item.
func (h *Heap[T]) Peek() (T, bool) {
	if len(h.items) == 0 {
		var zero T
		return zero, false
	}
	return h.items[0], true
}

// PopDue removes every item due at t (Unix ns) and appends it to batch.
func (h *Heap[T]) PopDue(t int64, batch []T) []T {
	for len(h.items) > 0 && h.items[0].DeadlineSlot().at <= t {
		batch = append(batch, h.items[0])
		h.removeAt(0)
	}
	return batch
}

// Check verifies the heap order and every item's idea of its position
// (for tests).
func (h *Heap[T]) Check() error {
	for i, x := range h.items {
		s := x.DeadlineSlot()
		if s.pos != i+1 {
			return fmt.Errorf("slot %d holds an item that thinks it is at %d", i, s.pos-1)
		}
		if i > 0 && h.items[(i-1)/2].DeadlineSlot().at > s.at {
			return fmt.Errorf("heap order broken at %d", i)
		}
	}
	return nil
}

func (h *Heap[T]) removeAt(i int) {
	if i < 0 {
		return
	}
	last := len(h.items) - 1
	if i != last {
		h.swap(i, last)
	}
	h.items[last].DeadlineSlot().pos = 0
	var zero T
	h.items[last] = zero
	h.items = h.items[:last]
	if i != last {
		h.down(i)
		h.up(i)
	}
	// Give memory back after a mass expiry or disconnect.
	if c := cap(h.items); c > 1024 && len(h.items) < c/4 {
		h.items = append(make([]T, 0, c/2), h.items...)
	}
}

func (h *Heap[T]) less(i, j int) bool {
	return h.items[i].DeadlineSlot().at < h.items[j].DeadlineSlot().at
}

func (h *Heap[T]) swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.items[i].DeadlineSlot().pos = i + 1
	h.items[j].DeadlineSlot().pos = j + 1
}

func (h *Heap[T]) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

func (h *Heap[T]) down(i int) {
	n := len(h.items)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			return
		}
		h.swap(i, m)
		i = m
	}
}
