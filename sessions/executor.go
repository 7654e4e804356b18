package sessions

import "sync"

// executor is the bounded worker pool that runs session tasks. A session is
// queued at most once at a time and its tasks run in order on one worker, so
// commands of one client never overlap while the pool size caps goroutines
// whatever the number of connections.
type executor struct {
	mu     sync.Mutex
	cond   *sync.Cond
	queue  []*Session
	head   int
	closed bool
	wg     sync.WaitGroup
}

func newExecutor(workers int) *executor {
	e := &executor{}
	e.cond = sync.NewCond(&e.mu)
	for i := 0; i < workers; i++ {
		e.wg.Add(1)
		go e.work()
	}
	return e
}

func (e *executor) schedule(s *Session) {
	e.mu.Lock()
	e.queue = append(e.queue, s)
	e.mu.Unlock()
	e.cond.Signal()
}

func (e *executor) pending() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.queue) - e.head
}

func (e *executor) work() {
	defer e.wg.Done()
	for {
		e.mu.Lock()
		for e.head == len(e.queue) && !e.closed {
			e.cond.Wait()
		}
		if e.head == len(e.queue) && e.closed {
			e.mu.Unlock()
			return
		}
		s := e.queue[e.head]
		e.queue[e.head] = nil
		e.head++
		if e.head == len(e.queue) {
			// Reuse the backing array once drained.
			e.queue = e.queue[:0]
			e.head = 0
		} else if e.head > 1024 && e.head*2 > len(e.queue) {
			n := copy(e.queue, e.queue[e.head:])
			e.queue = e.queue[:n]
			e.head = 0
		}
		e.mu.Unlock()
		s.runTasks()
	}
}

// close lets workers finish the queue and exit.
func (e *executor) close() {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	e.cond.Broadcast()
	e.wg.Wait()
}
