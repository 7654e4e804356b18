package poller

import (
	"context"
	"time"
)

// Handshakes in flight at a stop. StopAccepting closes the listener, but
// connections accepted just before may still be sending their request:
// closed with the rest at Shutdown, their clients would see the socket end
// with no answer. WaitHandshakes lets them become sessions first, which
// the node's shutdown then tells to reconnect (server_restart), so that a
// restart refuses no client that reached the process. The wait is bounded
// by its context: a client that never sends its request is closed anyway.

// drainPoll is how often WaitHandshakes looks again.
const drainPoll = 5 * time.Millisecond

// waitHandshakes returns once no connection snapshot lists is still
// reading a request (its head, or a held request's body), or ctx ends.
// A keep-alive connection waiting for its next request counts as reading
// one: a long-poll client sends it at once.
func waitHandshakes(ctx context.Context, snapshot func([]*Conn) []*Conn) {
	var conns []*Conn
	t := time.NewTicker(drainPoll)
	defer t.Stop()
	for {
		conns = snapshot(conns[:0])
		if !anyReading(conns) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func anyReading(conns []*Conn) bool {
	for _, c := range conns {
		if st, closed := c.readState(); !closed && (st == stateHTTP || st == stateBody) {
			return true
		}
	}
	return false
}

func (s *epollServer) WaitHandshakes(ctx context.Context) {
	waitHandshakes(ctx, s.snapshot)
	if f := s.fallback.Load(); f != nil {
		f.WaitHandshakes(ctx)
	}
}

func (s *netpollServer) WaitHandshakes(ctx context.Context) { waitHandshakes(ctx, s.snapshot) }

func (s *stdServer) WaitHandshakes(ctx context.Context) { waitHandshakes(ctx, s.snapshot) }
