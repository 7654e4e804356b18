package durablestreams

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/fanout"
	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/internal/deadline"
	"github.com/densecable/densecable/sessions"
	"github.com/densecable/densecable/sessions/streams"
)

// Conn is the held HTTP connection a request arrived on (*poller.Conn).
type Conn interface {
	Respond(status int, headers []frames.Header, body []byte) bool
	Write(b []byte) error
	Queue(b []byte) (bool, error)
	Flush() error
	Close(code uint16, reason string)
	RemoteIP() string
}

// Options are the --ds_* settings and what they need.
type Options struct {
	Path         string        // --ds_path
	SkipAuth     bool          // --ds_skip_auth
	PollInterval time.Duration // --ds_poll_interval
	SSETTL       time.Duration // --ds_sse_ttl
	Public       bool          // --public_streams: unsigned names are readable
	Secret       string        // the signed streams secret
	// MaxReads bounds the requests authenticating or reading history at
	// once (default 256); more get 503.
	MaxReads int
	// MaxPendingEvents bounds the live events a reader gathers while
	// its catch-up is read (default 1,024); past it the stream is closed.
	MaxPendingEvents int
	Tick             time.Duration // deadline resolution (default 100 ms)
}

// Deps are the node's parts a read uses.
type Deps struct {
	Node   *sessions.Node // authentication
	Hub    *fanout.Hub
	Broker broker.Broker // nil: no history (every read is empty)
}

// Stats are the ds_* metrics.
type Stats struct {
	Requests, PollRequests, SSERequests atomic.Uint64
	PollClients, SSEClients             atomic.Int64
}

// Server serves Durable Streams reads.
type Server struct {
	opts     Options
	deps     Deps
	log      *slog.Logger
	verifier *streams.Verifier
	clock    *deadline.Queue[*reader]
	sem      chan struct{}
	poll     *fanout.Format
	sse      *fanout.Format
	stats    Stats

	mu      sync.Mutex
	readers map[*reader]struct{}
	closed  bool
}

// New starts the server's deadline goroutine.
func New(opts Options, deps Deps, log *slog.Logger) *Server {
	if opts.MaxReads <= 0 {
		opts.MaxReads = 256
	}
	if opts.MaxPendingEvents <= 0 {
		opts.MaxPendingEvents = 1024
	}
	if opts.Tick <= 0 {
		opts.Tick = 100 * time.Millisecond
	}
	s := &Server{
		opts: opts, deps: deps, log: log,
		verifier: streams.NewVerifier(opts.Secret),
		sem:      make(chan struct{}, opts.MaxReads),
		poll:     &fanout.Format{Encoder: pollEncoder, Framer: framer},
		sse:      &fanout.Format{Encoder: sseEncoder, Framer: framer},
		readers:  map[*reader]struct{}{},
	}
	s.clock = deadline.New(opts.Tick, s.due)
	return s
}

// Stats are the counters for metrics.
func (s *Server) Stats() *Stats { return &s.stats }

// Serve handles one request held on c; extra headers (CORS) go on every
// answer. The returned receiver hears about the client leaving (nil when
// the request was answered at once).
func (s *Server) Serve(c Conn, method string, req *frames.Request, extra []frames.Header) interface{ OnClose() } {
	if method == http.MethodOptions {
		c.Respond(http.StatusOK, extra, nil)
		return nil
	}
	p, err := parseParams(s.opts.Path, req)
	if err != nil {
		s.log.Debug("invalid stream request", "error", err)
		c.Respond(http.StatusBadRequest, extra, nil)
		return nil
	}
	if method != http.MethodGet && method != http.MethodHead {
		s.log.Debug("non-read operations are not supported", "method", method)
		c.Respond(http.StatusMethodNotAllowed, extra, nil)
		return nil
	}
	select {
	case s.sem <- struct{}{}:
	default:
		s.log.Debug("too many durable stream reads in progress", "max", s.opts.MaxReads)
		c.Respond(http.StatusServiceUnavailable, extra, nil)
		return nil
	}
	r := &reader{srv: s, c: c, p: p, head: method == http.MethodHead, extra: extra, busy: true}
	if !s.register(r) {
		<-s.sem
		c.Respond(http.StatusGone, extra, nil)
		return nil
	}
	go s.read(r, req)
	return r
}

func (s *Server) register(r *reader) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.readers[r] = struct{}{}
	return true
}

// read authenticates, authorizes, reads history and answers or starts the
// live mode; it runs on its own goroutine (it may block on I/O).
func (s *Server) read(r *reader, req *frames.Request) {
	defer func() { <-s.sem }()
	defer r.idle()
	if !s.opts.SkipAuth {
		if _, ok := s.deps.Node.Authenticate(context.Background(), req, r.c.RemoteIP()); !ok {
			s.log.Debug("unauthenticated", "stream", r.p.stream)
			r.answer(http.StatusUnauthorized, nil, nil)
			return
		}
	}
	if !s.authorized(r.p) {
		s.log.Debug("unauthorized", "stream", r.p.stream)
		r.answer(http.StatusUnauthorized, nil, nil)
		return
	}
	if r.head {
		r.answer(http.StatusOK, []frames.Header{
			{Key: "Content-Type", Value: "application/json"},
			{Key: "Cache-Control", Value: "no-store"},
			{Key: "Stream-Next-Offset", Value: s.tail(r.p.stream)},
		}, nil)
		return
	}
	s.stats.Requests.Add(1)
	if r.p.live != liveNone && !r.subscribe() {
		return // the client left meanwhile
	}
	batch, next, err := s.history(r.p)
	if err != nil {
		s.log.Debug("history unavailable", "stream", r.p.stream, "offset", r.p.raw, "error", err)
		r.answer(http.StatusGone, nil, nil)
		return
	}
	switch {
	case r.p.live == liveSSE:
		r.startSSE(batch, next)
	case r.p.live == liveLongPoll && len(batch) == 0:
		r.startPoll(next)
	default:
		r.answer(http.StatusOK, s.dataHeaders(next, r.p.cursor), appendBatch(nil, batch))
	}
}

// authorized: a signed token must name this very stream; an unsigned name
// needs --public_streams.
func (s *Server) authorized(p *params) bool {
	if p.signed == "" {
		return s.opts.Public
	}
	name, err := s.verifier.Verify(p.signed)
	return err == nil && name == p.stream
}

// history returns the publications after pos and the next offset token.
func (s *Server) history(p *params) ([]broker.Publication, string, error) {
	b := s.deps.Broker
	ctx := context.Background()
	switch {
	case p.pos.now:
		return nil, s.tail(p.stream), nil
	case b == nil:
		return nil, "0", nil
	case p.pos.start:
		batch, err := b.HistorySince(ctx, p.stream, 0)
		if err != nil {
			return nil, "", err
		}
		return batch, nextOf(batch, "0"), nil
	case p.pos.epoch == "":
		return nil, "", errMalformed // a position without an epoch: gone, as the reference
	}
	batch, err := b.HistoryFrom(ctx, p.stream, p.pos.epoch, p.pos.offset)
	if err != nil {
		return nil, "", err
	}
	return batch, nextOf(batch, p.raw), nil
}

// tail is the stream's current end (the offset of its last publication in
// history, "0" when there is none).
func (s *Server) tail(stream string) string {
	if s.deps.Broker == nil {
		return "0"
	}
	batch, err := s.deps.Broker.HistorySince(context.Background(), stream, 0)
	if err != nil {
		return "0"
	}
	return nextOf(batch, "0")
}

func nextOf(batch []broker.Publication, none string) string {
	if len(batch) == 0 {
		return none
	}
	last := &batch[len(batch)-1]
	return formatOffset(last.Offset, last.Epoch)
}

func (s *Server) dataHeaders(next, cursor string) []frames.Header {
	return []frames.Header{
		{Key: "Content-Type", Value: "application/json"},
		{Key: "Cache-Control", Value: "public, max-age=60, stale-while-revalidate=300"},
		{Key: "X-Content-Type-Options", Value: "nosniff"},
		{Key: "Stream-Next-Offset", Value: next},
		{Key: "Stream-Up-To-Date", Value: "true"},
		{Key: "Stream-Cursor", Value: nextCursor(time.Now(), cursor)},
	}
}

// due runs on the clock goroutine: a reader's time is up or it finished.
func (s *Server) due(r *reader, _ time.Time) { r.expire() }

// Shutdown ends every live reader (long-poll: 410, as the reference; SSE:
// the stream closes) and stops the deadlines.
func (s *Server) Shutdown() {
	s.mu.Lock()
	s.closed = true
	all := make([]*reader, 0, len(s.readers))
	for r := range s.readers {
		all = append(all, r)
	}
	s.mu.Unlock()
	for _, r := range all {
		r.shutdown()
	}
	s.clock.Stop()
}

// readerCount is how many requests are in progress or waiting.
func (s *Server) readerCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.readers)
}
