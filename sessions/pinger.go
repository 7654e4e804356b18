package sessions

import (
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/densecable/densecable/internal/heartbeat"
	"github.com/densecable/densecable/sessions/protocol"
)

// pingTick is the pinger's resolution: pings due within the same tick go
// out in one batch.
const pingTick = 100 * time.Millisecond

// MaxPingInterval bounds ?pi=: larger values are clamped to it.
const MaxPingInterval = time.Hour

// pinger sends the protocol's pings (Protocol.AppendPing) for every session
// of a node from one goroutine, whatever the intervals: sessions sit in a
// min-heap keyed by their next ping, so a session costs the same (a heap
// slot) whichever interval it chose, and no interval value creates anything.
type pinger struct {
	precision   string
	native      bool
	pongTimeout time.Duration

	mu   sync.Mutex
	heap []*Session // ordered by Session.pingAt; Session.pingPos is index+1

	done chan struct{}
	once sync.Once
	// beat proves to the systemd watchdog that the scheduler goes round.
	beat *heartbeat.Beat
}

func newPinger(precision string, native bool, pongTimeout time.Duration) *pinger {
	p := &pinger{precision: precision, native: native, pongTimeout: pongTimeout, done: make(chan struct{}), beat: heartbeat.NewChan("ping scheduler")}
	go p.run()
	return p
}

// expectPong enforces --pong_timeout for extended-protocol sessions (all
// sessions with native pings): a session that said nothing since a ping
// whose deadline passed is disconnected with no_pong. It reports whether
// the session was cut off.
func (p *pinger) expectPong(s *Session, now time.Time) bool {
	if p.pongTimeout <= 0 || !(s.wire.proto.Extended() || p.native && s.canPong()) {
		return false
	}
	due := s.pongDue.Load()
	if due != 0 && now.UnixNano() > due {
		s.node.log.Debug("no pong received, disconnecting", "sid", s.sid)
		s.sendDisconnect("no_pong", true)
		s.close(protocol.CloseNoPong)
		return true
	}
	if due == 0 {
		s.pongDue.CompareAndSwap(0, now.Add(p.pongTimeout).UnixNano())
	}
	return false
}

// add schedules the session's first ping 0.5 to 1.5 intervals from now:
// about one interval like the reference, spread so that a burst of
// connections does not become a burst of pings. The spread leaves a tick
// of room so that the tick's delay keeps it under 1.5 intervals.
func (p *pinger) add(s *Session, now time.Time) {
	iv := s.pingInterval
	if iv <= 0 {
		return
	}
	first := iv / 2
	if spread := iv - pingTick; spread > 0 {
		first += rand.N(spread)
	}
	p.mu.Lock()
	if s.pingPos == 0 {
		s.pingAt = now.Add(first).UnixNano()
		p.heap = append(p.heap, s)
		s.pingPos = int32(len(p.heap))
		p.up(len(p.heap) - 1)
	}
	p.mu.Unlock()
}

// addDeadline puts a session that has not authenticated yet (a
// protocol.Handshaker's) in the heap at its handshake deadline: run closes
// it then if it is still waiting, or pings it on from there if it is not.
// One heap slot, as for pings: no timer per connection.
func (p *pinger) addDeadline(s *Session, at time.Time) {
	p.mu.Lock()
	if s.pingPos == 0 {
		s.pingAt = at.UnixNano()
		p.heap = append(p.heap, s)
		s.pingPos = int32(len(p.heap))
		p.up(len(p.heap) - 1)
	}
	p.mu.Unlock()
}

func (p *pinger) remove(s *Session) {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := int(s.pingPos) - 1
	if i < 0 {
		return
	}
	last := len(p.heap) - 1
	if i != last {
		p.swap(i, last)
	}
	p.heap[last] = nil
	p.heap = p.heap[:last]
	s.pingPos = 0
	if i != last {
		p.down(i)
		p.up(i)
	}
	// Give memory back after a mass disconnect.
	if c := cap(p.heap); c > 1024 && len(p.heap) < c/4 {
		p.heap = append(make([]*Session, 0, c/2), p.heap...)
	}
}

// due moves every session whose ping is due at now to its next deadline
// and appends it to batch.
func (p *pinger) due(now time.Time, batch []*Session) []*Session {
	t := now.UnixNano()
	p.mu.Lock()
	for len(p.heap) > 0 && p.heap[0].pingAt <= t {
		s := p.heap[0]
		next := s.pingAt + int64(s.pingInterval)
		if s.pingInterval <= 0 {
			// A handshake deadline with pings off: run removes it.
			next = math.MaxInt64
		} else if next <= t {
			// Late (a stalled process): no catch-up burst.
			next = t + int64(s.pingInterval)
		}
		s.pingAt = next
		p.down(0)
		batch = append(batch, s)
	}
	p.mu.Unlock()
	return batch
}

func (p *pinger) less(i, j int) bool { return p.heap[i].pingAt < p.heap[j].pingAt }

func (p *pinger) swap(i, j int) {
	p.heap[i], p.heap[j] = p.heap[j], p.heap[i]
	p.heap[i].pingPos = int32(i + 1)
	p.heap[j].pingPos = int32(j + 1)
}

func (p *pinger) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !p.less(i, parent) {
			return
		}
		p.swap(i, parent)
		i = parent
	}
}

func (p *pinger) down(i int) {
	n := len(p.heap)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && p.less(r, l) {
			m = r
		}
		if !p.less(m, i) {
			return
		}
		p.swap(i, m)
		i = m
	}
}

func (p *pinger) stop() { p.once.Do(func() { close(p.done) }) }

func (p *pinger) run() {
	t := time.NewTicker(pingTick)
	defer t.Stop()
	var batch []*Session
	cache := map[pingKey][]byte{}
	for {
		select {
		case <-p.done:
			return
		case <-p.beat.C():
			p.beat.Tick()
		case now := <-t.C:
			p.beat.Tick()
			batch = p.due(now, batch[:0])
			clear(cache)
			for i, s := range batch {
				batch[i] = nil
				if s.awaitingHandshake.Load() || s.pingInterval <= 0 {
					p.handshakeDue(s)
					continue
				}
				if p.expectPong(s, now) {
					continue
				}
				if f := pingFrame(cache, s, now); f != nil {
					s.write(f)
				}
				if d := s.wire.driver; d != nil && d.Due(s.pstate, now.UnixNano()) {
					s.push(task{kind: taskTick})
				}
				if np, ok := s.conn.(NativePinger); ok && p.native && !s.closed.Load() {
					if err := np.NativePing(); err != nil {
						s.writeFailed(err)
					}
				}
			}
		}
	}
}

// handshakeDue ends a session whose handshake deadline passed without its
// connect command; a session that sent it but pings nothing leaves the heap.
func (p *pinger) handshakeDue(s *Session) {
	if s.awaitingHandshake.CompareAndSwap(true, false) {
		s.node.stats.FailedClientMessages.Add(1)
		s.node.log.Debug("no handshake in time, disconnecting", "sid", s.logSID())
		s.close(protocol.CloseNoHandshake)
		p.remove(s)
		return
	}
	if s.pingInterval <= 0 {
		p.remove(s)
	}
	// Otherwise it connected meanwhile: due rescheduled its slot as a ping.
}

type pingKey struct {
	wire      *wire
	precision precision
}

// precision is a ping timestamp's unit, one byte per session.
type precision uint8

const (
	precisionSeconds precision = iota
	precisionMillis
	precisionNanos
)

// parsePrecision reads "s", "ms" or "ns"; anything else means seconds.
func parsePrecision(v string) precision {
	switch v {
	case "ms":
		return precisionMillis
	case "ns":
		return precisionNanos
	}
	return precisionSeconds
}

// pingFrame encodes the ping once per (protocol, framing, precision) per tick.
func pingFrame(cache map[pingKey][]byte, s *Session, now time.Time) []byte {
	k := pingKey{s.wire, s.pingPrecision}
	if f, ok := cache[k]; ok {
		return f
	}
	var ts int64
	switch s.pingPrecision {
	case precisionMillis:
		ts = now.UnixMilli()
	case precisionNanos:
		ts = now.UnixNano()
	default:
		ts = now.Unix()
	}
	payload, err := s.wire.proto.AppendPing(nil, ts)
	if err != nil || len(payload) == 0 {
		return nil // a protocol without pings of its own (OCPP)
	}
	f := s.wire.frame(nil, payload)
	cache[k] = f
	return f
}
