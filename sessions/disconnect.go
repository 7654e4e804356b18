package sessions

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/densecable/densecable/rpcclient/rpcpb"
)

// disconnectQueue calls Disconnect at most rate times a second, so a mass
// disconnect (a deploy, a network blip) does not flood the application.
// Like the reference, enqueue blocks when the backlog is full.
type disconnectQueue struct {
	n     *Node
	ch    chan disconnectJob
	every time.Duration
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
}

type disconnectJob struct {
	sid string
	req *rpcpb.DisconnectRequest
}

func newDisconnectQueue(n *Node, rate, backlog int) *disconnectQueue {
	q := &disconnectQueue{
		n:     n,
		ch:    make(chan disconnectJob, backlog),
		every: time.Second / time.Duration(rate),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	go q.run()
	return q
}

// enqueue builds the request now (the session's state is final) and queues it.
func (q *disconnectQueue) enqueue(s *Session, subscriptions []string) {
	sid, req := s.disconnectRequest(subscriptions)
	q.n.stats.DisconnectQueue.Add(1)
	q.ch <- disconnectJob{sid: sid, req: req}
}

// disconnectRequest builds the Disconnect call: identifiers, subscriptions
// and every channel's state as a JSON string.
func (s *Session) disconnectRequest(subscriptions []string) (string, *rpcpb.DisconnectRequest) {
	var istate map[string]string
	if len(s.channels) > 0 {
		istate = make(map[string]string, len(s.channels))
		for id, ch := range s.channels {
			if len(ch.istate) == 0 {
				continue
			}
			b, _ := json.Marshal(ch.istate)
			istate[id] = string(b)
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
			select {
			case job := <-q.ch:
				q.callQueued(job.sid, job.req)
			default:
			}
		}
	}
}

func (q *disconnectQueue) callQueued(sid string, req *rpcpb.DisconnectRequest) {
	q.n.stats.DisconnectQueue.Add(-1)
	q.call(sid, req)
}

func (q *disconnectQueue) call(sid string, req *rpcpb.DisconnectRequest) {
	res, err := q.n.rpc.Disconnect(context.Background(), sid, req)
	if err != nil {
		q.n.log.Error("RPC Disconnect failed", "sid", sid, "error", err)
		return
	}
	if res.GetStatus() == rpcpb.Status_ERROR {
		q.n.log.Error("RPC Disconnect failed", "sid", sid, "error", "Application error: "+res.GetErrorMsg())
	}
}

// flush stops the rate-limited loop and calls Disconnect for everything
// left, without a rate limit, until ctx ends.
func (q *disconnectQueue) flush(ctx context.Context) {
	q.once.Do(func() { close(q.stop) })
	<-q.done
	left := len(q.ch)
	if left > 0 {
		q.n.log.Info("Flushing disconnect queue", "size", left)
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for {
		select {
		case job := <-q.ch:
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				wg.Wait()
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				q.callQueued(job.sid, job.req)
			}()
		default:
			wg.Wait()
			return
		}
	}
}
