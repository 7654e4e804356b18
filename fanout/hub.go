// Package fanout holds the stream→subscribers table and delivers broadcasts:
// each publication is encoded once per (channel identifier, encoder) and the
// same frame bytes go to every subscriber, in per-stream order.
package fanout

import (
	"hash/maphash"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/encoders"
	"github.com/densecable/densecable/frames"
)

// Subscriber is a session as the hub sees it.
type Subscriber interface {
	// ID is the session id, matched against meta.exclude_socket.
	ID() string
	// Format is how the subscriber's frames are made. Subscribers with the
	// same *Format share a broadcast's frame: give one pointer per
	// (Encoder, Framer) pair (NewFormats interns them).
	Format() *Format
	// Send writes (or, when the socket is busy, queues) a complete frame
	// without blocking, behind anything queued before. The frame is shared
	// and must not be modified. A publication delivered alone uses it.
	Send(frame []byte)
	// Queue gathers a frame for the next Flush (broadcast batches); it
	// reports whether the subscriber had nothing gathered before.
	Queue(frame []byte) (first bool)
	// Flush writes what Queue gathered.
	Flush()
}

// Direct is implemented by a Subscriber whose broadcast frames may go
// straight to its transport: a publication delivered alone is then written
// without touching the subscriber itself, which saves a cache miss per
// delivery on the paced path (docs/benchmarks.md, the one-write floor).
type Direct interface {
	// Output is where Send would write, or nil when every frame must go
	// through Send. The hub asks once, at Subscribe.
	Output() Output
	// OutputFailed handles an error from Output's Write as Send would
	// (cutting off a client that is too slow).
	OutputFailed(err error)
}

// Output is a transport's non-blocking write: it writes or queues frame
// behind anything queued before, or fails (too slow, closed).
type Output interface {
	Write(frame []byte) error
}

// member is a subscriber's entry under a channel identifier: what the
// delivery loop needs, so that it does not have to ask the subscriber.
type member struct {
	format *Format
	out    Output // nil: Send
}

// Format is a codec and a transport's framing: what a broadcast frame is
// made with.
type Format struct {
	Encoder encoders.Encoder
	Framer  frames.Framer
}

// Formats interns Format values, so that subscribers that frame alike hold
// the same pointer (the encode-once cache compares pointers). Safe for
// concurrent use; called once per connection, not per broadcast.
type Formats struct {
	mu sync.Mutex
	m  map[Format]*Format
}

// Get returns the interned *Format for enc and framer.
func (f *Formats) Get(enc encoders.Encoder, framer frames.Framer) *Format {
	k := Format{Encoder: enc, Framer: framer}
	f.mu.Lock()
	defer f.mu.Unlock()
	if p, ok := f.m[k]; ok {
		return p
	}
	if f.m == nil {
		f.m = make(map[Format]*Format)
	}
	p := &k
	f.m[k] = p
	return p
}

// Options configures the hub.
type Options struct {
	// Shards of the stream table (a power of two is best); default 64.
	Shards int
	// Gates is the number of broadcast goroutines (hub_gopool_size); a stream
	// always maps to the same gate, which keeps per-stream order. Default 16.
	Gates int
	// GateQueue is each gate's queue length; default 1024.
	GateQueue int
	// OnStreamAdded and OnStreamRemoved run when a stream gets its first
	// local subscriber and loses its last one (the node tells the
	// inter-node pub/sub). They run under the stream's shard lock, so that
	// calls for one stream never reorder: they must not block.
	OnStreamAdded   func(stream string)
	OnStreamRemoved func(stream string)
}

// Hub is the subscription table plus the broadcast gates.
type Hub struct {
	opts    Options
	seed    maphash.Seed
	shards  []shard
	gates   []chan *broker.Publication
	wg      sync.WaitGroup
	log     *slog.Logger
	streams atomic.Int64
	stats   Stats
}

// Stats counts hub activity.
type Stats struct {
	Broadcasts atomic.Uint64 // publications delivered to the table
	Frames     atomic.Uint64 // frames handed to subscribers
}

type shard struct {
	mu      sync.RWMutex
	streams map[string]*stream
}

// stream groups a stream's subscribers by channel identifier, since the
// identifier is part of the message every subscriber gets.
type stream struct {
	name     string // the key in the shard's table
	channels map[string]map[Subscriber]member
	// list is the delivery loop's copy of channels (list.go), made by the
	// first broadcast after a change and dropped (nil) by every change
	// (under the shard's write lock). An idle stream never has one.
	list atomic.Pointer[subscriberList]
}

// New creates a hub and starts its gates.
func New(opts Options, log *slog.Logger) *Hub {
	if opts.Shards <= 0 {
		opts.Shards = 64
	}
	if opts.Gates <= 0 {
		opts.Gates = 16
	}
	if opts.GateQueue <= 0 {
		opts.GateQueue = 1024
	}
	h := &Hub{opts: opts, seed: maphash.MakeSeed(), shards: make([]shard, opts.Shards), log: log}
	for i := range h.shards {
		h.shards[i].streams = make(map[string]*stream)
	}
	h.gates = make([]chan *broker.Publication, opts.Gates)
	for i := range h.gates {
		ch := make(chan *broker.Publication, opts.GateQueue)
		h.gates[i] = ch
		h.wg.Add(1)
		go h.runGate(ch)
	}
	return h
}

// StreamsCount is the number of streams with at least one subscriber.
func (h *Hub) StreamsCount() int64 { return h.streams.Load() }

// Stats exposes the counters.
func (h *Hub) Stats() *Stats { return &h.stats }

func (h *Hub) hash(s string) uint64 { return maphash.String(h.seed, s) }

func (h *Hub) shardFor(s string) *shard { return &h.shards[h.hash(s)%uint64(len(h.shards))] }

// Subscribe adds sub to stream under the channel identifier. It returns
// the stream's name as the table holds it: a subscriber that keeps that
// string instead of its own copy shares one per stream with the others.
func (h *Hub) Subscribe(sub Subscriber, streamName, identifier string) string {
	sh := h.shardFor(streamName)
	sh.mu.Lock()
	st := sh.streams[streamName]
	if st == nil {
		st = &stream{name: streamName, channels: make(map[string]map[Subscriber]member, 1)}
		sh.streams[streamName] = st
		h.streams.Add(1)
		if h.opts.OnStreamAdded != nil {
			h.opts.OnStreamAdded(streamName)
		}
	}
	subs := st.channels[identifier]
	if subs == nil {
		subs = make(map[Subscriber]member)
		st.channels[identifier] = subs
	}
	m := member{format: sub.Format()}
	if d, ok := sub.(Direct); ok {
		m.out = d.Output()
	}
	subs[sub] = m
	st.list.Store(nil)
	name := st.name
	sh.mu.Unlock()
	return name
}

// Unsubscribe removes sub from stream under identifier.
func (h *Hub) Unsubscribe(sub Subscriber, streamName, identifier string) {
	sh := h.shardFor(streamName)
	sh.mu.Lock()
	if st := sh.streams[streamName]; st != nil {
		if subs := st.channels[identifier]; subs != nil {
			delete(subs, sub)
			st.list.Store(nil)
			if len(subs) == 0 {
				delete(st.channels, identifier)
			}
		}
		if len(st.channels) == 0 {
			delete(sh.streams, streamName)
			h.streams.Add(-1)
			if h.opts.OnStreamRemoved != nil {
				h.opts.OnStreamRemoved(streamName)
			}
		}
	}
	sh.mu.Unlock()
}

// maxBatch bounds a gate's batch (and so the iovecs of one writev).
const maxBatch = 64

// Broadcast queues a publication for delivery. Publications of one stream
// are delivered in the order Broadcast is called.
func (h *Hub) Broadcast(p *broker.Publication) {
	h.gates[h.hash(p.Stream)%uint64(len(h.gates))] <- p
}

// Shutdown stops the gates after delivering what is queued.
func (h *Hub) Shutdown() {
	for _, g := range h.gates {
		close(g)
	}
	h.wg.Wait()
}

func (h *Hub) runGate(ch chan *broker.Publication) {
	defer h.wg.Done()
	var d deliverer
	batch := make([]*broker.Publication, 0, maxBatch)
	for p := range ch {
		// Take what else is already waiting (never wait for more): a burst
		// is delivered together and costs one write per subscriber.
		batch = append(batch[:0], p)
	drain:
		for len(batch) < maxBatch {
			select {
			case q, ok := <-ch:
				if !ok {
					break drain
				}
				batch = append(batch, q)
			default:
				break drain
			}
		}
		if len(batch) == 1 {
			// A publication alone has nothing to share a write with: each
			// subscriber gets its frame at once (one pass over the
			// subscribers and one write(2) each), not gathered then flushed
			// in a second pass.
			h.deliver(&d, p, true)
			continue
		}
		for _, q := range batch {
			h.deliver(&d, q, false)
		}
		for i, s := range d.dirty {
			s.Flush()
			d.dirty[i] = nil
		}
		d.dirty = d.dirty[:0]
	}
}
