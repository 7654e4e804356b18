package sessions

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/densecable/densecable/sessions/protocol"
)

// drain tells every session the server is restarting and closes it. With
// slow drain the disconnects are spread over most of the shutdown window
// (at most 500 ms apart) so that clients do not all reconnect at once.
func (n *Node) drain(ctx context.Context, all []*Session) {
	if len(all) == 0 {
		return
	}
	bye := func(s *Session) {
		s.sendDisconnect("server_restart", true)
		s.close(protocol.CloseServerRestart)
	}
	if n.opts.SlowDrain {
		// Keep a reserve for the Disconnect calls that follow.
		period := n.opts.ShutdownTimeout * 8 / 10
		if dl, ok := ctx.Deadline(); ok {
			if left := time.Until(dl) * 8 / 10; left < period {
				period = left
			}
		}
		step := period / time.Duration(len(all))
		if step > 500*time.Millisecond {
			step = 500 * time.Millisecond
		}
		n.log.Info("Draining " + strconv.Itoa(len(all)) + " active connections slowly for " + (step * time.Duration(len(all))).Round(100*time.Millisecond).String())
		t := time.NewTicker(max(step, time.Microsecond))
		defer t.Stop()
		for i, s := range all {
			if i > 0 {
				select {
				case <-t.C:
				case <-ctx.Done():
					for _, rest := range all[i:] {
						bye(rest)
					}
					return
				}
			}
			bye(s)
		}
		return
	}
	n.log.Info("Disconnecting active sessions", "count", len(all))
	var wg sync.WaitGroup
	work := make(chan *Session)
	for i := 0; i < n.opts.ShutdownPoolSize; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range work {
				bye(s)
			}
		}()
	}
	for _, s := range all {
		work <- s
	}
	close(work)
	wg.Wait()
}
