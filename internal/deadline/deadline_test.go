package deadline

import (
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

type job struct {
	Slot
	id int
}

// The heap pops in deadline order whatever the order of Set, moves and
// removals (checked against a sort of the survivors).
func TestOrder(t *testing.T) {
	q := &Queue[*job]{}
	jobs := make([]*job, 200)
	base := time.Unix(1000, 0)
	want := map[int]int64{}
	for i := range jobs {
		jobs[i] = &job{id: i}
		at := base.Add(time.Duration(rand.IntN(1000)) * time.Millisecond)
		q.Set(jobs[i], at)
		want[i] = at.UnixNano()
	}
	for i := 0; i < 100; i++ { // move some, remove some
		j := jobs[rand.IntN(len(jobs))]
		if rand.IntN(2) == 0 {
			at := base.Add(time.Duration(rand.IntN(1000)) * time.Millisecond)
			q.Set(j, at)
			want[j.id] = at.UnixNano()
		} else {
			q.Remove(j)
			delete(want, j.id)
		}
	}
	if q.Len() != len(want) {
		t.Fatalf("Len %d, want %d", q.Len(), len(want))
	}
	got := q.due(base.Add(2*time.Second), nil)
	if len(got) != len(want) {
		t.Fatalf("popped %d, want %d", len(got), len(want))
	}
	if !sort.SliceIsSorted(got, func(a, b int) bool { return got[a].at < got[b].at }) {
		t.Fatal("not popped in deadline order")
	}
	for _, j := range got {
		if want[j.id] != j.at || j.pos != 0 {
			t.Fatalf("job %d: at %d pos %d, want at %d pos 0", j.id, j.at, j.pos, want[j.id])
		}
	}
}

// Only due items fire, each once, on the queue's goroutine.
func TestFires(t *testing.T) {
	fired := make(chan int, 4)
	q := New(5*time.Millisecond, func(j *job, _ time.Time) { fired <- j.id })
	defer q.Stop()
	q.Set(&job{id: 1}, time.Now())
	q.Set(&job{id: 2}, time.Now().Add(time.Hour))
	select {
	case id := <-fired:
		if id != 1 {
			t.Fatalf("fired %d", id)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("due item did not fire")
	}
	if q.Len() != 1 {
		t.Fatalf("Len %d after firing, want 1", q.Len())
	}
}
