// Package swarm holds many client WebSocket connections in one event loop:
// raw non-blocking sockets driven by epoll, no goroutine and no buffer per
// connection. A connection costs a 16-byte slot (plus a side record only
// while it has a partial frame or unsent bytes), so one process holds as
// many connections as its open-file limit allows.
//
// Each connection: connect (from a chosen loopback source address) →
// upgrade → wait for the welcome → subscribe → wait for the confirmation.
// Then it counts what it receives: broadcasts (with their latency from the
// timestamp in the payload), echo and broadcastResult replies, pings.
package swarm

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/densecable/densecable/bench/internal/cableproto"
	"github.com/densecable/densecable/bench/internal/hist"
	"github.com/densecable/densecable/bench/internal/wsframe"
)

// Config describes the connections of one swarm.
type Config struct {
	Server     netip.AddrPort  // IPv4 address of the server
	Request    wsframe.Request // Host, Path, Origin (Protocol comes from Codec)
	Codec      cableproto.Codec
	Identifier string // channel identifier to subscribe to
	// SourceIPs are the local addresses connections bind to, chosen round
	// robin by global index (so each carries at most 1/len of the
	// connections and its own ephemeral port range). Empty: kernel's choice.
	SourceIPs []netip.Addr
	// Base is the global index of this swarm's first connection: it keeps
	// source addresses and keys distinct across processes.
	Base int
	// Timeout bounds the time from connect to confirmed subscription.
	Timeout time.Duration
	// MaxMessage bounds one server message (default 1 MiB).
	MaxMessage int
	// Deflate offers permessage-deflate and inflates compressed messages.
	Deflate bool
	// DeflateCommands (with Deflate) also compresses the client's commands,
	// each on its own.
	DeflateCommands bool
	// LoopInterval, when set, is the shortest time between two polls: the
	// loop sleeps out the rest after a short batch, so that messages
	// accumulate and one read syscall takes several. Under heavy fan-out
	// this cuts the client's CPU several times over, at the price of
	// adding up to LoopInterval to measured latencies.
	LoopInterval time.Duration
	// OnResult receives echo and broadcastResult replies. It runs on the
	// event loop: it must be quick and must not call back into the Swarm.
	OnResult func(Result)
	// OnDisconnect receives the payload of every disconnect message (valid
	// only during the call), so that a caller can check the reason. It runs
	// on the event loop, like OnResult.
	OnDisconnect func(conn int, payload []byte)
	// OnClose is called once per connection when it ends (failed, dropped
	// by the server or by an error), with the reason counted in
	// Stats.Errors. It runs on the event loop, like OnResult. Connections
	// still open at Close are not reported.
	OnClose func(conn int, reason string)
	Logger  *slog.Logger
}

// Result is a reply to a Perform, seen by the connection that sent it.
type Result struct {
	Conn   int // global index
	Action cableproto.Action
	RTT    time.Duration
}

// ErrNotReady is returned by Perform for a connection that is not
// subscribed (never was, or was closed).
var ErrNotReady = errors.New("swarm: connection not subscribed")

// ErrClosed is returned by calls after Close.
var ErrClosed = errors.New("swarm: closed")

// Swarm is one event loop and its connections. Its methods are safe for
// concurrent use; all connection state is owned by the loop goroutine and
// methods reach it through a queue.
type Swarm struct {
	cfg  Config
	epfd int
	evfd int
	sa   unix.SockaddrInet4

	mu      sync.Mutex
	queue   []func()
	stopped bool
	done    chan struct{}

	loop loopState
}

// New creates the swarm and starts its loop. No connection is opened until
// Open is called.
func New(cfg Config) (*Swarm, error) {
	if !cfg.Server.Addr().Is4() {
		return nil, fmt.Errorf("swarm: server %s is not IPv4", cfg.Server)
	}
	for _, ip := range cfg.SourceIPs {
		if !ip.Is4() {
			return nil, fmt.Errorf("swarm: source %s is not IPv4", ip)
		}
	}
	if cfg.Codec == nil {
		return nil, errors.New("swarm: no codec")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.MaxMessage <= 0 {
		cfg.MaxMessage = 1 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.Request.Protocol = cfg.Codec.Subprotocol()
	if cfg.Deflate {
		cfg.Request.Extensions = "permessage-deflate"
	}
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("swarm: epoll_create1: %w", err)
	}
	evfd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("swarm: eventfd: %w", err)
	}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, evfd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(evfd)}); err != nil {
		unix.Close(epfd)
		unix.Close(evfd)
		return nil, fmt.Errorf("swarm: register eventfd: %w", err)
	}
	s := &Swarm{cfg: cfg, epfd: epfd, evfd: evfd, done: make(chan struct{})}
	s.sa = unix.SockaddrInet4{Port: int(cfg.Server.Port()), Addr: cfg.Server.Addr().As4()}
	s.loop.init(cfg, rand.Uint64())
	go s.run()
	return s, nil
}

// post queues fn for the loop and wakes it.
func (s *Swarm) post(fn func()) error {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return ErrClosed
	}
	s.queue = append(s.queue, fn)
	s.mu.Unlock()
	var one = [8]byte{1}
	_, err := unix.Write(s.evfd, one[:])
	if err != nil && err != unix.EAGAIN { // EAGAIN: counter saturated, loop is awake anyway
		return fmt.Errorf("swarm: wake loop: %w", err)
	}
	return nil
}

// call runs fn on the loop and waits for it.
func (s *Swarm) call(fn func()) error {
	ran := make(chan struct{})
	if err := s.post(func() { fn(); close(ran) }); err != nil {
		return err
	}
	select {
	case <-ran:
		return nil
	case <-s.done:
		return ErrClosed
	}
}

// Open adds n connections to open, at most rate per second (0: as fast as
// possible) with at most maxPending unfinished handshakes (0: no limit).
// It returns at once; watch Stats for progress.
func (s *Swarm) Open(n int, rate float64, maxPending int) error {
	return s.post(func() { s.loop.addTarget(n, rate, maxPending) })
}

// Perform sends {"command":"message","data":{"action":action,"payload":
// {"sendTime":now,...}}} on connection conn (a global index), stamping the
// send time on the loop just before the write.
func (s *Swarm) Perform(conn int, action, padding string) error {
	var err error
	if cerr := s.call(func() { err = s.loop.perform(s, conn-s.cfg.Base, action, padding) }); cerr != nil {
		return cerr
	}
	return err
}

// Stats returns a snapshot of the counters and histograms.
func (s *Swarm) Stats() (Stats, error) {
	var st Stats
	err := s.call(func() { st = s.loop.snapshot() })
	return st, err
}

// ResetMeasurements zeroes the per-step counters (deliveries, results,
// pings, messages) and their histograms; connection counters stay.
func (s *Swarm) ResetMeasurements() error {
	return s.call(func() { s.loop.resetMeasurements() })
}

// Close closes every connection and stops the loop.
func (s *Swarm) Close() error {
	err := s.post(func() { s.loop.closing = true })
	if err == nil {
		<-s.done
	}
	return nil
}

// Stats are the counters of one swarm (or, merged, of all of them).
type Stats struct {
	Target     int `json:"target"`
	Started    int `json:"started"`
	Connected  int `json:"connected"`
	Upgraded   int `json:"upgraded"`
	Welcomed   int `json:"welcomed"`
	Subscribed int `json:"subscribed"`
	Failed     int `json:"failed"` // never reached subscribed
	Alive      int `json:"alive"`  // subscribed and open now
	Dropped    int `json:"dropped"`
	// Errors counts failures and drops by reason.
	Errors map[string]int `json:"errors,omitempty"`

	Pings       int64 `json:"pings"`
	Delivered   int64 `json:"delivered"` // broadcast messages received
	Results     int64 `json:"results"`   // echo + broadcastResult replies
	Disconnects int64 `json:"disconnects"`
	OtherMsgs   int64 `json:"other_msgs"`
	BadMsgs     int64 `json:"bad_msgs"`
	Reads       int64 `json:"reads"` // read syscalls that returned data
	Polls       int64 `json:"polls"` // epoll_wait calls

	FirstStart int64 `json:"first_start_ns"` // Unix ns of the first connect
	LastReady  int64 `json:"last_ready_ns"`  // Unix ns of the last confirmation
	// LastDelivery is the Unix ns of the latest broadcast receipt.
	LastDelivery int64 `json:"last_delivery_ns"`

	Connect  *hist.Histogram `json:"connect"`  // connect → confirmed subscription
	Delivery *hist.Histogram `json:"delivery"` // broadcast send → receipt, every subscriber
	Result   *hist.Histogram `json:"result"`   // perform → echo/broadcastResult
}

// Settled reports whether every targeted connection either subscribed or
// failed.
func (st *Stats) Settled() bool {
	return st.Started == st.Target && st.Subscribed+st.Failed == st.Target
}

// counters lists the fields that Merge sums.
func (st *Stats) counters() ([]*int, []*int64) {
	return []*int{&st.Target, &st.Started, &st.Connected, &st.Upgraded, &st.Welcomed,
			&st.Subscribed, &st.Failed, &st.Alive, &st.Dropped},
		[]*int64{&st.Pings, &st.Delivered, &st.Results, &st.Disconnects, &st.OtherMsgs,
			&st.BadMsgs, &st.Reads, &st.Polls}
}

func addAll[T int | int64](dst, src []*T) {
	for i, p := range src {
		*dst[i] += *p
	}
}

// Merge adds o into st.
func (st *Stats) Merge(o *Stats) {
	ints, int64s := st.counters()
	oints, oint64s := o.counters()
	addAll(ints, oints)
	addAll(int64s, oint64s)
	for k, v := range o.Errors {
		if st.Errors == nil {
			st.Errors = map[string]int{}
		}
		st.Errors[k] += v
	}
	if o.FirstStart != 0 && (st.FirstStart == 0 || o.FirstStart < st.FirstStart) {
		st.FirstStart = o.FirstStart
	}
	st.LastReady = max(st.LastReady, o.LastReady)
	st.LastDelivery = max(st.LastDelivery, o.LastDelivery)
	for _, p := range []struct{ dst, src **hist.Histogram }{
		{&st.Connect, &o.Connect}, {&st.Delivery, &o.Delivery}, {&st.Result, &o.Result},
	} {
		if *p.src == nil {
			continue
		}
		if *p.dst == nil {
			*p.dst = hist.New()
		}
		(*p.dst).Merge(*p.src)
	}
}
