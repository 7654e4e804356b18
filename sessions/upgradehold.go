package sessions

import (
	"sync"
	"time"
)

// upgradeCorked is implemented by a transport whose WebSocket 101 response
// can wait, corked, for the first message (poller.Conn during Open).
type upgradeCorked interface {
	UpgradeCorked() bool
}

// HoldsUpgradeResponse implements poller.UpgradeHolder: the session keeps
// the 101 corked and its Connect task sends it with the welcome (or the
// rejection) in one write. Fixed at NewSession: a session holds it when it
// authenticates at once (no protocol handshake message to wait for) and
// its transport corked the 101; the node bounds the hold (upgradeHold).
func (s *Session) HoldsUpgradeResponse() bool { return s.holdsUpgrade }

// upgradeHoldFor bounds how long a client waits for its 101 while the
// Connect call is out: the transports holding a 101 are checked every
// upgradeHoldFor, so the 101 leaves at most twice that after the upgrade,
// alone if the application has not answered by then. A Connect answered
// sooner saves one write per connection. In a connect storm (5,000
// clients at once, docs/benchmarks.md) Connect answers 10-200 ms after
// the upgrade: with 5 ms 98 % of the 101s still left alone, with 100 ms
// 4 %. The wait costs an Action Cable client nothing (it subscribes on the
// welcome, which comes with the 101); protocols that wait for a client
// message before authenticating never hold the 101.
const upgradeHoldFor = 100 * time.Millisecond

// upgradeHold flushes held 101 responses whose session did not answer in
// time. Two generations and one timer, running only while some transport
// is held (it disarms itself: nothing to stop at shutdown): a session
// costs an append under one lock, and a Flush that finds nothing to write
// once its Connect answered.
type upgradeHold struct {
	mu    sync.Mutex
	cur   []Transport // held since the last tick
	prev  []Transport // held since before the last tick: flushed at the next
	spare []Transport
	timer *time.Timer
	armed bool
	after time.Duration // tests; 0: upgradeHoldFor
}

func (h *upgradeHold) period() time.Duration {
	if h.after > 0 {
		return h.after
	}
	return upgradeHoldFor
}

// add registers a transport whose 101 is corked.
func (h *upgradeHold) add(t Transport) {
	h.mu.Lock()
	h.cur = append(h.cur, t)
	if !h.armed {
		h.armed = true
		if h.timer == nil {
			h.timer = time.AfterFunc(h.period(), h.tick)
		} else {
			h.timer.Reset(h.period())
		}
	}
	h.mu.Unlock()
}

// tick flushes the older generation; the younger one becomes older.
func (h *upgradeHold) tick() {
	h.mu.Lock()
	due := h.prev
	h.prev, h.cur, h.spare = h.cur, h.spare[:0], nil
	h.armed = len(h.prev) > 0
	if h.armed {
		h.timer.Reset(h.period())
	}
	h.mu.Unlock()
	for _, t := range due {
		_ = t.Flush() // nothing to write once the session answered
	}
	clear(due)
	h.mu.Lock()
	if h.spare == nil {
		h.spare = due[:0]
	}
	h.mu.Unlock()
}
