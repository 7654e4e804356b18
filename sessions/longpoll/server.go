package longpoll

import (
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/internal/deadline"
	"github.com/densecable/densecable/sessions"
	"github.com/densecable/densecable/sessions/protocol"
)

// PollIDHeader carries the poll session id, in both directions.
const PollIDHeader = "X-Anycable-Poll-ID"

// pollIDLen is the length of a generated poll id (nanoid alphabet: 126
// random bits, not guessable).
const pollIDLen = 21

// Options are the --poll_* settings.
type Options struct {
	Interval         time.Duration // --poll_interval: how long a request is held
	FlushInterval    time.Duration // --poll_flush_interval: output gathered before a held request is answered
	KeepaliveTimeout time.Duration // --poll_keepalive_timeout: a session with no request held lives this long
	MaxRequestSize   int           // --poll_max_request_size: a request body's bound
	// MaxBuffer bounds one session's waiting output (--ws_max_pending_size,
	// the WebSocket's bound): past it the session is closed as too slow.
	MaxBuffer int
	// Tick is the deadlines' resolution (default 50 ms).
	Tick time.Duration
}

// Responder answers one HTTP request, once; the HTTP layer implements it
// for held requests (keep-alive after the answer). It must not block.
// headers are shared (nil or the Content-Type): never modified nor kept.
// pollID, when not empty, is sent as the PollIDHeader: passed as a string
// so that an answered poll does not allocate a header slice of its own.
type Responder interface {
	Respond(status int, headers []frames.Header, pollID string, body []byte)
}

// Request is one POST to the long-poll path, its body read in full.
type Request struct {
	Method   string
	Req      *frames.Request // head: URI, headers (lower-case keys)
	Body     []byte
	RemoteIP string
}

type response struct {
	status int
	pollID string
	body   []byte
}

// Server holds the node's long-poll sessions.
type Server struct {
	opts  Options
	node  *sessions.Node
	proto protocol.Protocol
	log   *slog.Logger
	clock *deadline.Queue[*Poll]

	mu    sync.Mutex
	polls map[string]*Poll

	clients atomic.Int64 // long_poll_clients_num
	stale   atomic.Uint64
}

// New starts the server's deadline goroutine; p is the protocol sessions
// speak (Action Cable JSON).
func New(opts Options, node *sessions.Node, p protocol.Protocol, log *slog.Logger) *Server {
	if opts.Tick <= 0 {
		opts.Tick = 50 * time.Millisecond
	}
	s := &Server{opts: opts, node: node, proto: httpProtocol{p}, log: log, polls: map[string]*Poll{}}
	s.clock = deadline.New(opts.Tick, s.due)
	return s
}

// Clients is the number of live long-poll sessions.
func (s *Server) Clients() int64 { return s.clients.Load() }

// StaleRequests counts requests for sessions that are gone.
func (s *Server) StaleRequests() uint64 { return s.stale.Load() }

// Shutdown stops the deadlines; the node's shutdown closes the sessions.
func (s *Server) Shutdown() { s.clock.Stop() }

// Serve handles one long-poll request; r is answered now or later.
// Cancel must be called if the client goes away before r was answered.
func (s *Server) Serve(req *Request, r Responder) (held *Poll) {
	if req.Method != http.MethodPost {
		s.log.Debug("long poll: method not allowed", "method", req.Method)
		r.Respond(http.StatusMethodNotAllowed, nil, "", nil)
		return nil
	}
	if len(req.Body) > s.opts.MaxRequestSize {
		s.log.Debug("long poll: request body too large", "size", len(req.Body), "max", s.opts.MaxRequestSize)
		r.Respond(http.StatusRequestEntityTooLarge, nil, "", nil)
		return nil
	}
	if err := splitJSONL(req.Body, nil); err != nil {
		s.log.Debug("long poll: malformed JSONL body", "error", err)
		r.Respond(http.StatusBadRequest, nil, "", nil)
		return nil
	}
	id := req.Req.Get("x-anycable-poll-id")
	if id == "" {
		return s.open(req, r)
	}
	s.mu.Lock()
	p := s.polls[id]
	s.mu.Unlock()
	if p == nil {
		s.stale.Add(1)
		s.log.Debug("long poll: unknown or expired session", "poll_id", truncate(id, pollIDLen+8))
		r.Respond(http.StatusUnauthorized, nil, "", nil)
		return nil
	}
	if !s.poll(p, req, r) {
		return nil
	}
	return p
}

// open creates a session; the request waits for its first output (the
// welcome, or a rejection and 401).
func (s *Server) open(req *Request, r Responder) *Poll {
	p := &Poll{srv: s, id: broker.NanoID(pollIDLen), remote: req.RemoteIP}
	s.mu.Lock()
	s.polls[p.id] = p
	s.mu.Unlock()
	s.clients.Add(1)
	p.mu.Lock()
	p.sess = s.node.NewSession(p, s.proto, req.Req)
	p.mu.Unlock()
	s.poll(p, req, r)
	return p
}

// poll feeds the body's commands to the session and holds r, or answers it
// at once when the session has output waiting or has ended. It reports
// whether r is held.
func (s *Server) poll(p *Poll, req *Request, r Responder) bool {
	now := time.Now()
	// Receive must not run concurrently for one session (two requests with
	// the same id), and not under p.mu: a refused command closes the
	// session from inside it (Poll.end takes p.mu).
	p.recv.Lock()
	_ = splitJSONL(req.Body, p.receive)
	p.recv.Unlock()
	p.mu.Lock()
	prev := p.held
	p.held = r
	p.until = now.Add(s.opts.Interval).UnixNano()
	answerNow := (p.authed && len(p.buf) > 0) || p.status != 0
	if answerNow {
		p.flushAt = now.UnixNano()
	}
	p.schedule()
	p.mu.Unlock()
	if prev != nil {
		// The client polls again: the older request ends empty, the new one
		// gets what comes.
		prev.Respond(http.StatusOK, contentType, p.id, nil)
	}
	if answerNow {
		s.due(p, now)
		p.mu.Lock()
		held := p.held == r
		p.mu.Unlock()
		return held
	}
	return true
}

// Cancel forgets r, held for p, when its client went away: the session's
// keep-alive starts now.
func (s *Server) Cancel(p *Poll, r Responder) {
	p.Cancel(r)
}

// Cancel is Server.Cancel for the poll's own server (a held request need
// not keep the server's pointer too).
func (p *Poll) Cancel(r Responder) {
	s := p.srv
	p.mu.Lock()
	if p.held == r {
		p.held, p.flushAt = nil, 0
		p.until = time.Now().Add(s.opts.KeepaliveTimeout).UnixNano()
		p.schedule()
	}
	p.mu.Unlock()
}

// due runs on the clock's goroutine (or at once from poll): answer the
// held request whose output or time is due, expire an abandoned session.
func (s *Server) due(p *Poll, now time.Time) {
	t := now.UnixNano()
	p.mu.Lock()
	if p.held != nil {
		if (p.flushAt != 0 && p.flushAt <= t) || p.until <= t {
			r, res := p.takeLocked(now)
			ended := p.status != 0
			if !ended {
				p.schedule()
			}
			p.mu.Unlock()
			if ended {
				s.remove(p)
			}
			r.Respond(res.status, contentType, res.pollID, res.body)
			return
		}
		p.schedule()
		p.mu.Unlock()
		return
	}
	if p.until > t {
		p.schedule()
		p.mu.Unlock()
		return
	}
	gone := p.gone
	p.gone = true
	if p.status == 0 {
		p.status = http.StatusUnauthorized
	}
	p.buf = nil
	p.mu.Unlock()
	s.remove(p)
	s.log.Debug("long poll session expired", "poll_id", p.id, "sid", p.sess.ID())
	if !gone {
		p.sess.OnClose()
	}
}

func (s *Server) remove(p *Poll) {
	s.clock.Remove(p)
	s.mu.Lock()
	if s.polls[p.id] == p {
		delete(s.polls, p.id)
		s.clients.Add(-1)
	}
	s.mu.Unlock()
}

// contentType is every answer's header but the refusals' (shared).
var contentType = []frames.Header{{Key: "Content-Type", Value: "application/x-ndjson"}}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
