package swarm

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/densecable/densecable/bench/internal/hist"
)

// Connection states, in order.
const (
	stConnecting  uint8 = iota
	stHandshake         // upgrade request sent, waiting for 101
	stWelcome           // upgraded, waiting for the welcome
	stSubscribing       // subscribe sent, waiting for the confirmation
	stReady
	stClosed
)

// conn is the per-connection slot: kept to 16 bytes on purpose.
type conn struct {
	fd    int32
	state uint8
	start int64 // Unix ns when the connect began
}

// extra holds the rare per-connection buffers; it exists only while needed.
type extra struct {
	in     []byte // unparsed tail of the input (partial frame)
	out    []byte // bytes the socket did not accept yet
	frag   []byte // fragments of a message in progress
	fragOp byte
	// fragZ: the message in progress is compressed (permessage-deflate).
	fragZ bool
}

// loopState is everything the loop goroutine owns.
type loopState struct {
	cfg   Config
	seed  uint64
	rng   uint64 // xorshift state for mask keys
	conns []conn
	byFD  []int32 // fd → index+1
	extra map[int32]*extra

	readBuf []byte
	outBuf  []byte
	cmdBuf  []byte

	deflater commandDeflater // Config.DeflateCommands

	target     int
	rate       float64
	tokens     float64
	lastTick   int64
	maxPending int
	pending    int // started, not yet subscribed nor failed
	lastSweep  int64
	closing    bool

	st Stats
}

func (l *loopState) init(cfg Config, seed uint64) {
	l.cfg = cfg
	l.seed = seed
	l.rng = seed | 1
	l.extra = map[int32]*extra{}
	l.readBuf = make([]byte, 0, 64<<10)
	l.st.Errors = map[string]int{}
	l.st.Connect, l.st.Delivery, l.st.Result = hist.New(), hist.New(), hist.New()
}

// run is the event loop.
func (s *Swarm) run() {
	defer close(s.done)
	events := make([]unix.EpollEvent, 256)
	l := &s.loop
	var lastPoll int64
	for {
		timeout := -1
		switch {
		case l.st.Started < l.target:
			timeout = 1
		case l.pending > 0:
			timeout = 100
		}
		if l.cfg.LoopInterval > 0 && l.st.Started >= l.target {
			if rest := l.cfg.LoopInterval - time.Duration(time.Now().UnixNano()-lastPoll); rest > 0 {
				time.Sleep(rest)
			}
		}
		n, err := unix.EpollWait(s.epfd, events, timeout)
		lastPoll = time.Now().UnixNano()
		l.st.Polls++
		if err != nil && err != unix.EINTR {
			l.cfg.Logger.Error("epoll_wait failed", "err", err)
			break
		}
		now := time.Now().UnixNano()
		for _, ev := range events[:max(n, 0)] {
			if int(ev.Fd) == s.evfd {
				s.drainQueue()
				continue
			}
			l.handle(s, int(ev.Fd), ev.Events, now)
		}
		if l.closing {
			break
		}
		l.openMore(s, now)
		if l.pending > 0 && now-l.lastSweep > int64(100*time.Millisecond) {
			l.sweep(s, now)
		}
	}
	s.shutdown()
}

// drainQueue runs the functions posted by other goroutines.
func (s *Swarm) drainQueue() {
	var buf [8]byte
	_, _ = unix.Read(s.evfd, buf[:])
	s.mu.Lock()
	q := s.queue
	s.queue = nil
	s.mu.Unlock()
	for _, fn := range q {
		fn()
	}
}

// shutdown closes every socket and the loop's own descriptors.
func (s *Swarm) shutdown() {
	s.mu.Lock()
	s.stopped = true
	q := s.queue
	s.queue = nil
	s.mu.Unlock()
	for _, fn := range q { // let waiting callers return
		fn()
	}
	for i := range s.loop.conns {
		if c := &s.loop.conns[i]; c.state != stClosed {
			unix.Close(int(c.fd))
			c.state = stClosed
		}
	}
	unix.Close(s.epfd)
	unix.Close(s.evfd)
}

// sweep fails connections that did not subscribe within the timeout.
func (l *loopState) sweep(s *Swarm, now int64) {
	l.lastSweep = now
	limit := now - int64(l.cfg.Timeout)
	for i := range l.conns {
		c := &l.conns[i]
		if c.state < stReady && c.start < limit {
			l.fail(s, i, "timeout "+stateName(c.state))
		}
	}
}

func stateName(st uint8) string {
	switch st {
	case stConnecting:
		return "connecting"
	case stHandshake:
		return "upgrading"
	case stWelcome:
		return "awaiting welcome"
	case stSubscribing:
		return "awaiting confirmation"
	}
	return "ready"
}

func (l *loopState) snapshot() Stats {
	st := l.st
	st.Errors = make(map[string]int, len(l.st.Errors))
	for k, v := range l.st.Errors {
		st.Errors[k] = v
	}
	st.Connect, st.Delivery, st.Result = l.st.Connect.Clone(), l.st.Delivery.Clone(), l.st.Result.Clone()
	return st
}

func (l *loopState) resetMeasurements() {
	l.st.Pings, l.st.Delivered, l.st.Results, l.st.Disconnects, l.st.OtherMsgs, l.st.BadMsgs = 0, 0, 0, 0, 0, 0
	l.st.Reads, l.st.Polls, l.st.LastDelivery = 0, 0, 0
	l.st.Delivery.Reset()
	l.st.Result.Reset()
}

func (l *loopState) addTarget(n int, rate float64, maxPending int) {
	l.target += n
	l.st.Target = l.target
	l.rate = rate
	l.maxPending = maxPending
	l.tokens = 0
	l.lastTick = time.Now().UnixNano()
}
