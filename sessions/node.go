package sessions

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/encoders"
	"github.com/densecable/densecable/fanout"
	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/rpcclient"
)

// Broadcaster publishes a message to a stream (whispers, presence events).
// The fanout hub implements it for a single node; a broker or pub/sub puts
// itself in front of the hub in a cluster.
type Broadcaster interface {
	Broadcast(p *broker.Publication)
}

// Node owns every session of this process.
type Node struct {
	opts   Options
	log    *slog.Logger
	rpc    rpcclient.Caller // nil with --norpc
	hub    *fanout.Hub
	bcast  Broadcaster
	auth   []Authenticator
	router ChannelRouter
	broker broker.Broker // nil: no history, restore or presence
	pubsub broker.PubSub // nil: single node, straight to the hub

	exec       *executor
	pinger     *pinger
	disconnect *disconnectQueue
	stats      Stats

	mu       sync.RWMutex
	sessions map[*Session]struct{}

	shuttingDown  bool
	stopKeepalive chan struct{}
}

// Deps are the node's collaborators.
type Deps struct {
	RPC            rpcclient.Caller // nil means no RPC (--norpc)
	Hub            *fanout.Hub
	Broadcaster    Broadcaster // defaults to Hub
	Authenticators []Authenticator
	Router         ChannelRouter
	Broker         broker.Broker
	PubSub         broker.PubSub
}

// NewNode creates a node and starts its workers, pinger and disconnect queue.
func NewNode(opts Options, deps Deps, log *slog.Logger) *Node {
	opts.defaults()
	n := &Node{
		opts:     opts,
		log:      log,
		rpc:      deps.RPC,
		hub:      deps.Hub,
		bcast:    deps.Broadcaster,
		auth:     deps.Authenticators,
		router:   deps.Router,
		broker:   deps.Broker,
		pubsub:   deps.PubSub,
		sessions: make(map[*Session]struct{}),
	}
	if n.bcast == nil {
		n.bcast = n
	}
	n.exec = newExecutor(opts.Workers)
	n.pinger = newPinger(opts.PingPrecision, opts.EnableNativePings, opts.PongTimeout)
	n.disconnect = newDisconnectQueue(n, opts.DisconnectRate, opts.DisconnectBacklog)
	n.stopKeepalive = make(chan struct{})
	go n.keepalive(n.stopKeepalive)
	return n
}

// Stats exposes the node's counters.
func (n *Node) Stats() *Stats { return &n.stats }

// NewSession creates the session for an upgraded connection and queues its
// authentication. It runs on the poller goroutine and does no I/O.
func (n *Node) NewSession(c Conn, req *frames.Request) *Session {
	enc, ext, ok := encoders.ForSubprotocol(req.Protocol)
	if !ok {
		enc, ext, _ = encoders.ForSubprotocol("")
	}
	s := &Session{
		node:          n,
		conn:          c,
		enc:           enc,
		ext:           ext,
		pingInterval:  n.opts.PingInterval,
		pingPrecision: n.opts.PingPrecision,
	}
	s.sid = req.Get("x-request-id")
	if s.sid == "" {
		s.sid = newSID()
	}
	s.req = req
	s.url = requestURL(req, n.opts.TLS)
	s.headers = envHeaders(req, c.RemoteIP(), n.opts.Headers, n.opts.ProxyCookies)
	q := req.Query()
	if v := q.Get("pi"); v != "" {
		if sec, err := strconv.Atoi(v); err == nil && sec >= 0 {
			s.pingInterval = time.Duration(sec) * time.Second
		} else {
			n.log.Warn("invalid ping interval value, must be integer", "sid", s.sid, "value", v)
		}
	}
	if v := q.Get("ptp"); v != "" {
		s.pingPrecision = v
	}
	s.push(task{kind: taskConnect})
	return s
}

// connect authenticates the session (authenticators, then RPC Connect).
func (n *Node) connect(s *Session) {
	if s.closed.Load() {
		return
	}
	req := s.req
	s.req = nil
	if n.tryRestore(s, req) {
		return
	}
	for _, a := range n.auth {
		res := a.Authenticate(s.sid, req)
		switch res.Outcome {
		case AuthSkip:
			continue
		case AuthOK:
			s.identifiers = res.Identifiers
			s.interest = -1
			s.sendReply(&encoders.Reply{Type: "welcome", Sid: s.sid})
			n.established(s)
			return
		case AuthReject:
			n.stats.FailedAuths.Add(1)
			s.sendDisconnect(res.Reason, false)
			s.close(frames.CloseNormal, "Auth Failed")
			return
		default:
			s.close(frames.CloseInternalError, "Auth Error")
			return
		}
	}
	if n.rpc == nil {
		n.stats.FailedAuths.Add(1)
		s.sendDisconnect("unauthorized", false)
		s.close(frames.CloseNormal, "Auth Failed")
		return
	}
	n.rpcConnect(s)
}

// established registers a session that passed authentication.
func (n *Node) established(s *Session) {
	s.connected = true
	n.mu.Lock()
	n.sessions[s] = struct{}{}
	n.mu.Unlock()
	n.stats.Clients.Add(1)
	if s.pingInterval > 0 {
		n.pinger.add(s)
	}
	n.commitSession(s)
	n.log.Debug("websocket session established", "sid", s.sid)
}

// closed cleans up after the socket is gone: streams, pings, Disconnect.
func (n *Node) closed(s *Session) {
	if !s.connected {
		return
	}
	s.connected = false
	n.pinger.remove(s)
	n.mu.Lock()
	delete(n.sessions, s)
	n.mu.Unlock()
	n.stats.Clients.Add(-1)
	subscriptions := make([]string, 0, len(s.channels))
	for id, ch := range s.channels {
		for _, st := range ch.streams {
			n.hub.Unsubscribe(s, st, id)
		}
		subscriptions = append(subscriptions, id)
	}
	if n.wantsDisconnect(s) {
		n.mu.RLock()
		direct := n.shuttingDown
		n.mu.RUnlock()
		if direct {
			// Shutting down: no rate limit, the window is what bounds us.
			sid, req := s.disconnectRequest(subscriptions)
			n.disconnect.call(sid, req)
		} else {
			n.disconnect.enqueue(s, subscriptions)
		}
	}
	n.log.Debug("websocket session completed", "sid", s.sid)
}

func (n *Node) wantsDisconnect(s *Session) bool {
	if n.rpc == nil {
		return false
	}
	switch n.opts.DisconnectMode {
	case DisconnectNever:
		return false
	case DisconnectAlways:
		return true
	}
	return s.interest >= 0
}

// ExecuteCommand runs a remote command on this node's sessions.
func (n *Node) ExecuteCommand(c *broker.RemoteCommand) {
	n.stats.RemoteCommands.Add(1)
	if c.Command != "disconnect" {
		n.log.Warn("unknown remote command", "command", c.Command)
		return
	}
	// Like the reference, only the first session with these identifiers.
	n.mu.RLock()
	var target *Session
	for s := range n.sessions {
		if s.identifiers == c.Identifier {
			target = s
			break
		}
	}
	n.mu.RUnlock()
	if target == nil {
		n.log.Debug("remote disconnect: no session found", "identifier", c.Identifier)
		return
	}
	target.sendDisconnect("remote", c.Reconnect)
	target.close(frames.CloseNormal, "Closed remotely")
}

// Shutdown disconnects every client (server_restart, reconnect: true),
// flushes Disconnect calls and stops the workers, within ctx.
func (n *Node) Shutdown(ctx context.Context) {
	n.mu.Lock()
	n.shuttingDown = true
	all := make([]*Session, 0, len(n.sessions))
	for s := range n.sessions {
		all = append(all, s)
	}
	n.mu.Unlock()
	n.pinger.stop()
	close(n.stopKeepalive)
	n.drain(ctx, all)
	n.waitSessionsGone(ctx)
	n.disconnect.flush(ctx)
	done := make(chan struct{})
	go func() {
		n.exec.close()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		n.log.Warn("shutdown timeout exceeded, some tasks were not finished")
	}
}

// waitSessionsGone waits until every closed session ran its cleanup (and so
// its Disconnect call), or ctx ends.
func (n *Node) waitSessionsGone(ctx context.Context) {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		n.mu.RLock()
		left := len(n.sessions)
		n.mu.RUnlock()
		if left == 0 {
			return
		}
		select {
		case <-ctx.Done():
			n.log.Warn("shutdown timeout exceeded, sessions left", "count", left)
			return
		case <-t.C:
		}
	}
}
