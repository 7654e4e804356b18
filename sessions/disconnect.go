package sessions

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/densecable/densecable/rpcclient/rpcpb"
)

// disconnectQueue calls Disconnect at most rate times a second, so a mass
// disconnect (a deploy, a network blip) does not flood the application.
//
// Unlike the reference, enqueue never blocks: the caller is a shared
// worker, and a blocked worker would stall every other session (a mass
// disconnect of 19,000 clients used to leave new clients unwelcomed). The
// queue holds at most one request per closed session; going past
// disconnect_backlog_size is logged, and nothing is dropped. What bounds it
// is back-pressure at accept: past bound entries (--max-conn, or 50,000)
// paused is set and the server accepts no new connection (so no new entry
// can follow) until it drains to the bound.
type disconnectQueue struct {
	n       *Node
	every   time.Duration
	backlog int
	bound   int

	// paused: more than bound entries; read lock-free before every accept.
	paused atomic.Bool

	mu        sync.Mutex
	jobs      []disconnectJob
	head      int
	warned    bool
	stopped   bool
	pauseLog  time.Time // last pause/resume log lines (at most 1/s each)
	resumeLog time.Time

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

type disconnectJob struct {
	sid string
	req *rpcpb.DisconnectRequest
}

func newDisconnectQueue(n *Node, rate, backlog, bound int) *disconnectQueue {
	q := &disconnectQueue{
		n:       n,
		every:   time.Second / time.Duration(rate),
		backlog: backlog,
		bound:   bound,
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	go q.run()
	return q
}

// enqueue builds the request now (the session's state is final) and queues it.
func (q *disconnectQueue) enqueue(s *Session, subscriptions []string) {
	sid, req := s.disconnectRequest(subscriptions)
	q.mu.Lock()
	if q.stopped {
		// Shutting down: the flush has started, call at once.
		q.mu.Unlock()
		q.call(sid, req)
		return
	}
	q.jobs = append(q.jobs, disconnectJob{sid: sid, req: req})
	size := len(q.jobs) - q.head
	over := size > q.backlog && !q.warned
	if over {
		q.warned = true
	}
	logPause := q.setPaused(size)
	q.mu.Unlock()
	q.n.stats.DisconnectQueue.Add(1)
	if over {
		q.n.log.Warn("Disconnect queue is over its backlog size; calls are delayed", "size", size, "backlog", q.backlog)
	}
	q.logPaused(logPause, size)
}

// setPaused updates paused for the queue's size (under mu). It returns +1
// when accepting just paused, -1 when it just resumed, and that line may be
// logged (at most once a second each: the queue may hover at the bound).
func (q *disconnectQueue) setPaused(size int) int {
	over := size > q.bound
	if q.paused.Load() == over {
		return 0
	}
	q.paused.Store(over)
	now := time.Now()
	if over {
		if now.Sub(q.pauseLog) < time.Second {
			return 0
		}
		q.pauseLog = now
		return 1
	}
	if now.Sub(q.resumeLog) < time.Second {
		return 0
	}
	q.resumeLog = now
	return -1
}

func (q *disconnectQueue) logPaused(change, size int) {
	switch change {
	case 1:
		q.n.log.Warn("Disconnect queue is over its bound; not accepting new connections until it drains", "size", size, "bound", q.bound)
	case -1:
		q.n.log.Info("Disconnect queue drained to its bound; accepting new connections again", "size", size, "bound", q.bound)
	}
}

// pop takes the oldest job.
func (q *disconnectQueue) pop() (disconnectJob, bool) {
	q.mu.Lock()
	j, ok, change, size := q.popLocked()
	q.mu.Unlock()
	q.logPaused(change, size)
	return j, ok
}

func (q *disconnectQueue) popLocked() (j disconnectJob, ok bool, change, size int) {
	if q.head == len(q.jobs) {
		return disconnectJob{}, false, 0, 0
	}
	j = q.jobs[q.head]
	q.jobs[q.head] = disconnectJob{}
	q.head++
	switch {
	case q.head == len(q.jobs):
		q.jobs, q.head, q.warned = q.jobs[:0], 0, false
	case q.head > 1024 && q.head*2 > len(q.jobs):
		n := copy(q.jobs, q.jobs[q.head:])
		q.jobs, q.head = q.jobs[:n], 0
	}
	q.n.stats.DisconnectQueue.Add(-1)
	size = len(q.jobs) - q.head
	return j, true, q.setPaused(size), size
}

// disconnectRequest builds the Disconnect call: identifiers, subscriptions
// and every channel's state as a JSON string.
func (s *Session) disconnectRequest(subscriptions []string) (string, *rpcpb.DisconnectRequest) {
	var istate map[string]string
	if s.channels.len() > 0 {
		istate = make(map[string]string, s.channels.len())
		for _, ch := range s.channels.list {
			if len(ch.istate) == 0 {
				continue
			}
			b, _ := json.Marshal(ch.istate.asMap())
			istate[ch.identifier()] = string(b)
		}
	}
	req := &rpcpb.DisconnectRequest{
		Identifiers:   s.identifiers,
		Subscriptions: subscriptions,
		Env:           s.env(istate),
	}
	return s.sid, req
}

func (q *disconnectQueue) run() {
	defer close(q.done)
	t := time.NewTicker(q.every)
	defer t.Stop()
	for {
		select {
		case <-q.stop:
			return
		case <-t.C:
			if j, ok := q.pop(); ok {
				q.call(j.sid, j.req)
			}
		}
	}
}

func (q *disconnectQueue) call(sid string, req *rpcpb.DisconnectRequest) {
	res, err := q.n.rpc.Disconnect(context.Background(), sid, req)
	if err != nil {
		q.n.disconnectFailLog.Log(q.n.log, slog.LevelError, "RPC Disconnect failed", "sid", sid, "error", err)
		return
	}
	if res.GetStatus() == rpcpb.Status_ERROR {
		q.n.disconnectFailLog.Log(q.n.log, slog.LevelError, "RPC Disconnect failed", "sid", sid, "error", "Application error: "+res.GetErrorMsg())
	}
}

// flush stops the rate-limited loop and calls Disconnect for everything
// left, without a rate limit, until ctx ends. Later enqueues call at once.
func (q *disconnectQueue) flush(ctx context.Context) {
	q.once.Do(func() { close(q.stop) })
	<-q.done
	q.mu.Lock()
	q.stopped = true
	left := len(q.jobs) - q.head
	q.mu.Unlock()
	if left > 0 {
		q.n.log.Info("Flushing disconnect queue", "size", left)
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	defer wg.Wait()
	for {
		j, ok := q.pop()
		if !ok {
			return
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			q.n.log.Warn("shutdown timeout exceeded, Disconnect calls left", "count", len(q.jobs)-q.head+1)
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			q.call(j.sid, j.req)
		}()
	}
}
