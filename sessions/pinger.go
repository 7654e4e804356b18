package sessions

import (
	"math/rand/v2"
	"sync"
	"time"

	"github.com/gobwas/ws"

	"github.com/densecable/densecable/encoders"
	"github.com/densecable/densecable/frames"
)

// wheelTick is the pinger's resolution: sessions with the same interval are
// spread over interval/wheelTick slots, so pings go out in small batches
// instead of one burst.
const wheelTick = 100 * time.Millisecond

// pinger sends Action Cable pings with one goroutine per distinct interval
// (in practice one), never one per session.
type pinger struct {
	precision   string
	native      bool
	pongTimeout time.Duration

	mu     sync.Mutex
	wheels map[time.Duration]*wheel
	done   chan struct{}
	once   sync.Once
}

type wheel struct {
	p        *pinger
	interval time.Duration
	mu       sync.Mutex
	slots    []map[*Session]struct{}
	pos      int
}

func newPinger(precision string, native bool, pongTimeout time.Duration) *pinger {
	return &pinger{precision: precision, native: native, pongTimeout: pongTimeout, wheels: make(map[time.Duration]*wheel), done: make(chan struct{})}
}

// expectPong enforces --pong_timeout for extended-protocol sessions (all
// sessions with native pings): a session that said nothing since a ping
// whose deadline passed is disconnected with no_pong. It reports whether
// the session was cut off.
func (p *pinger) expectPong(s *Session, now time.Time) bool {
	if p.pongTimeout <= 0 || !(s.ext || p.native) {
		return false
	}
	due := s.pongDue.Load()
	if due != 0 && now.UnixNano() > due {
		s.node.log.Debug("no pong received, disconnecting", "sid", s.sid)
		s.sendDisconnect("no_pong", true)
		s.close(frames.CloseNormal, "No Pong")
		return true
	}
	if due == 0 {
		s.pongDue.CompareAndSwap(0, now.Add(p.pongTimeout).UnixNano())
	}
	return false
}

func (p *pinger) add(s *Session) {
	p.mu.Lock()
	w := p.wheels[s.pingInterval]
	if w == nil {
		n := int(s.pingInterval / wheelTick)
		if n < 1 {
			n = 1
		}
		w = &wheel{p: p, interval: s.pingInterval, slots: make([]map[*Session]struct{}, n)}
		for i := range w.slots {
			w.slots[i] = make(map[*Session]struct{})
		}
		p.wheels[s.pingInterval] = w
		go w.run()
	}
	p.mu.Unlock()
	w.mu.Lock()
	slot := rand.IntN(len(w.slots))
	w.slots[slot][s] = struct{}{}
	s.pingSlot = slot
	s.wheel = w
	w.mu.Unlock()
}

func (p *pinger) remove(s *Session) {
	w := s.wheel
	if w == nil {
		return
	}
	w.mu.Lock()
	delete(w.slots[s.pingSlot], s)
	w.mu.Unlock()
}

func (p *pinger) stop() { p.once.Do(func() { close(p.done) }) }

func (w *wheel) run() {
	t := time.NewTicker(w.interval / time.Duration(len(w.slots)))
	defer t.Stop()
	var batch []*Session
	cache := map[pingKey][]byte{}
	for {
		select {
		case <-w.p.done:
			return
		case now := <-t.C:
			w.mu.Lock()
			w.pos = (w.pos + 1) % len(w.slots)
			batch = batch[:0]
			for s := range w.slots[w.pos] {
				batch = append(batch, s)
			}
			w.mu.Unlock()
			clear(cache)
			for _, s := range batch {
				if w.p.expectPong(s, now) {
					continue
				}
				if f := w.pingFrame(cache, s, now); f != nil {
					s.Send(f)
				}
				if w.p.native {
					s.Send(nativePing)
				}
			}
		}
	}
}

var nativePing = frames.AppendFrame(nil, ws.OpPing, nil)

type pingKey struct {
	enc       encoders.Encoder
	precision string
}

// pingFrame encodes the ping once per (encoder, precision) per tick.
func (w *wheel) pingFrame(cache map[pingKey][]byte, s *Session, now time.Time) []byte {
	k := pingKey{s.enc, s.pingPrecision}
	if f, ok := cache[k]; ok {
		return f
	}
	var ts int64
	switch s.pingPrecision {
	case "ms":
		ts = now.UnixMilli()
	case "ns":
		ts = now.UnixNano()
	default:
		ts = now.Unix()
	}
	payload, err := s.enc.AppendPing(nil, ts)
	if err != nil {
		return nil
	}
	op := ws.OpText
	if s.enc.FrameType() == encoders.BinaryFrame {
		op = ws.OpBinary
	}
	f := frames.AppendFrame(nil, op, payload)
	cache[k] = f
	return f
}
