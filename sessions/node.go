package sessions

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/encoders"
	"github.com/densecable/densecable/fanout"
	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/internal/loggate"
	"github.com/densecable/densecable/rpcclient"
	"github.com/densecable/densecable/sessions/protocol"
)

// Publisher takes whispers and presence events onto the publication path
// (fanout.Publisher): broker, pub/sub, hub. It is the node's only way out
// for a publication; broadcasts from the outside never pass through here.
type Publisher interface {
	HandleBroadcast(p *broker.Publication)
}

// Node owns every session of this process.
type Node struct {
	opts   Options
	log    *slog.Logger
	rpc    rpcclient.Caller // nil with --norpc
	hub    *fanout.Hub
	pub    Publisher
	auth   []Authenticator
	router ChannelRouter
	broker broker.Broker // nil: no history, restore or presence
	// observers hear stream and presence transitions (webhooks).
	observers []protocol.Observer

	exec       *executor
	pinger     *pinger
	disconnect *disconnectQueue
	// upgradeHold bounds how long a session keeps its 101 corked.
	upgradeHold upgradeHold
	stats       Stats

	mu       sync.RWMutex
	sessions map[*Session]struct{}
	// sids holds the sid of every session from NewSession until its
	// cleanup (authenticating ones too), so that no two share one. Its own
	// lock: NewSession runs on the poller and must not wait behind scans of
	// sessions.
	sidMu sync.Mutex
	sids  map[string]struct{}

	// wires interns each (protocol, framer) pair's wire, formats their
	// fanout formats (see wire).
	wireMu  sync.Mutex
	wires   map[wireKey]*wire
	formats fanout.Formats
	// urls shares the sessions' request URL strings (env.url).
	urls *urlCache

	shuttingDown  bool
	stopKeepalive chan struct{}

	// Failed RPC calls are logged once a second per kind: during an
	// application outage every client's attempt fails.
	connectFailLog, commandFailLog, disconnectFailLog loggate.Gate
}

// Deps are the node's collaborators.
type Deps struct {
	RPC rpcclient.Caller // nil means no RPC (--norpc)
	Hub *fanout.Hub
	// Publisher defaults to a fanout.Publisher over Hub and Broker (a
	// single node).
	Publisher      Publisher
	Authenticators []Authenticator
	Router         ChannelRouter
	Broker         broker.Broker
	// Observers hear stream occupied/vacated (when the hub's OnStreamAdded
	// and OnStreamRemoved call StreamOccupied and StreamVacated) and
	// presence joins and leaves. A protocol that sends webhooks adds one.
	Observers []protocol.Observer
}

// NewNode creates a node and starts its workers, pinger and disconnect queue.
func NewNode(opts Options, deps Deps, log *slog.Logger) *Node {
	opts.defaults()
	n := &Node{
		opts:      opts,
		log:       log,
		rpc:       deps.RPC,
		hub:       deps.Hub,
		pub:       deps.Publisher,
		auth:      deps.Authenticators,
		router:    deps.Router,
		broker:    deps.Broker,
		observers: deps.Observers,
		sessions:  make(map[*Session]struct{}),
		sids:      make(map[string]struct{}),
		urls:      newURLCache(),
	}
	if n.pub == nil {
		n.pub = fanout.NewPublisher(fanout.PublisherDeps{Hub: deps.Hub, Broker: deps.Broker, Commands: n.ExecuteCommand}, log)
	}
	n.exec = newExecutor(opts.Workers)
	n.pinger = newPinger(opts.PingPrecision, opts.EnableNativePings, opts.PongTimeout)
	n.disconnect = newDisconnectQueue(n, opts.DisconnectRate, opts.DisconnectBacklog, opts.acceptBound())
	n.stopKeepalive = make(chan struct{})
	go n.keepalive(n.stopKeepalive)
	return n
}

// StreamOccupied tells the observers that this node got its first
// subscriber to stream (wire it to the hub's OnStreamAdded). It must not
// block: it runs under the hub's shard lock.
func (n *Node) StreamOccupied(stream string) {
	for _, o := range n.observers {
		o.StreamOccupied(stream)
	}
}

// StreamVacated tells the observers that this node lost its last
// subscriber to stream (wire it to the hub's OnStreamRemoved).
func (n *Node) StreamVacated(stream string) {
	for _, o := range n.observers {
		o.StreamVacated(stream)
	}
}

// Stats exposes the node's counters.
func (n *Node) Stats() *Stats { return &n.stats }

// AcceptPaused reports that the disconnect queue holds more than its bound
// (--max-conn, or 50,000 without one): the server should not accept new
// connections until it drains, since every connection may end up in it.
// It is a single atomic load, cheap enough to check before every accept.
func (n *Node) AcceptPaused() bool { return n.disconnect.paused.Load() }

// NewSession creates the session for a client that reached the server
// over transport c and speaks protocol p, and queues its authentication. It
// runs on the transport's goroutine (the poller) and does no I/O.
func (n *Node) NewSession(c Transport, p protocol.Protocol, req *frames.Request) *Session {
	s := &Session{
		node:          n,
		conn:          c,
		wire:          n.wireFor(p, c.Framer()),
		pingInterval:  n.opts.PingInterval,
		pingPrecision: parsePrecision(n.opts.PingPrecision),
	}
	if iv := s.wire.policy.PingInterval; iv > 0 {
		s.pingInterval = iv
	}
	if st, ok := p.(protocol.Stateful); ok {
		s.pstate = st.NewState()
	}
	s.sid, s.sidFromClient = n.claimSID(req.Get("x-request-id"), s.wire.sidMaker)
	s.req = req
	s.url = n.urls.requestURL(req, n.opts.TLS)
	s.headers = envHeaders(req, c.RemoteIP(), n.opts.Headers, n.opts.ProxyCookies)
	if v := req.QueryValue("pi"); v != "" {
		s.pingInterval = n.pingInterval(s.sid, v)
	}
	if v := req.QueryValue("ptp"); v != "" {
		s.pingPrecision = parsePrecision(v)
	}
	if pl, ok := c.(Pingless); ok && pl.Pingless() {
		s.pingInterval = 0
	}
	if ht, ok := p.(protocol.HandshakeTimer); ok {
		// The client authenticates with a message (Receive queues a
		// Handshaker's connect; a Driver calls Session.Connect); until
		// then it holds a deadline in the pinger's heap.
		s.awaitingHandshake.Store(true)
		n.pinger.addDeadline(s, time.Now().Add(ht.HandshakeTimeout()))
	}
	if s.wire.handshaker == nil && s.wire.driver == nil {
		if uc, ok := c.(upgradeCorked); ok && uc.UpgradeCorked() {
			s.holdsUpgrade = true
			n.upgradeHold.add(c)
		}
		s.push(task{kind: taskConnect})
	}
	return s
}

// wireFor returns the interned wire for a protocol over a framing.
func (n *Node) wireFor(p protocol.Protocol, f frames.Framer) *wire {
	k := wireKey{p, f}
	n.wireMu.Lock()
	defer n.wireMu.Unlock()
	if w, ok := n.wires[k]; ok {
		return w
	}
	if n.wires == nil {
		n.wires = make(map[wireKey]*wire)
	}
	w := &wire{proto: p, framer: f}
	w.limiter, _ = p.(protocol.Limiter)
	w.sidMaker, _ = p.(protocol.SIDMaker)
	w.whisperer, _ = p.(protocol.Whisperer)
	if sp, ok := p.(protocol.SessionPolicy); ok {
		w.policy = sp.Policy()
	}
	w.driver, _ = p.(protocol.Driver)
	if w.driver != nil {
		// Unframed: a Driver's broadcasts go to Deliver, which frames
		// what it sends itself.
		w.format = n.formats.Get(p.Encoder(), frames.Unframed())
	} else {
		w.format = n.formats.Get(p.Encoder(), f)
	}
	w.screener, _ = p.(protocol.Screener)
	w.transmitter, _ = p.(protocol.Transmitter)
	w.handshaker, _ = p.(protocol.Handshaker)
	n.wires[k] = w
	return w
}

// pingInterval reads ?pi= (seconds): 0 disables pings, values above
// MaxPingInterval are clamped to it, anything else but an integer is
// ignored. Debug level: the client chooses the value.
func (n *Node) pingInterval(sid, v string) time.Duration {
	sec, err := strconv.Atoi(v)
	switch {
	case err == nil && sec > int(MaxPingInterval/time.Second), errors.Is(err, strconv.ErrRange) && v[0] != '-':
		return MaxPingInterval
	case err == nil && sec >= 0:
		return time.Duration(sec) * time.Second
	}
	n.log.Debug("invalid ping interval value, must be integer", "sid", sid, "value", v)
	return n.opts.PingInterval
}

// maxRequestIDLen bounds an X-Request-ID used as the sid.
const maxRequestIDLen = 64

// validRequestID: 1 to 64 characters of [A-Za-z0-9_-] (the sid appears in
// logs, RPC calls and broker keys).
func validRequestID(id string) bool {
	if len(id) == 0 || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// claimSID chooses a new session's sid: the client's X-Request-ID when it is
// valid and no live session has it, otherwise a generated one (in the
// protocol's format when it has a SIDMaker). It reports whether the
// client's id was taken (the session cache is checked later, on the
// worker: it may need I/O).
func (n *Node) claimSID(requestID string, mk protocol.SIDMaker) (string, bool) {
	valid := validRequestID
	if mk != nil {
		valid = mk.ValidSID
	}
	if requestID != "" {
		if valid(requestID) {
			n.sidMu.Lock()
			_, taken := n.sids[requestID]
			if !taken {
				n.sids[requestID] = struct{}{}
			}
			n.sidMu.Unlock()
			if !taken {
				return requestID, true
			}
		}
		n.log.Debug("X-Request-ID not used as the sid", "request_id", truncate(requestID, maxRequestIDLen))
	}
	if mk == nil {
		sid := newSID()
		n.sidMu.Lock()
		n.sids[sid] = struct{}{}
		n.sidMu.Unlock()
		return sid, false
	}
	// A protocol's ids may be shorter than a nanoid: draw until unused.
	n.sidMu.Lock()
	defer n.sidMu.Unlock()
	for {
		sid := mk.NewSID()
		if _, taken := n.sids[sid]; !taken {
			n.sids[sid] = struct{}{}
			return sid, false
		}
	}
}

// releaseSID frees the session's sid for later sessions.
func (n *Node) releaseSID(s *Session) {
	n.sidMu.Lock()
	delete(n.sids, s.sid)
	n.sidMu.Unlock()
}

// checkCachedSID gives a generated sid to a session whose X-Request-ID names
// a cached session: storing this session would overwrite that snapshot.
// When the cache cannot be asked, the client's id is not trusted either.
func (n *Node) checkCachedSID(s *Session) {
	if !s.sidFromClient || n.broker == nil || n.opts.SessionsTTL <= 0 {
		return
	}
	b, err := n.broker.RestoreSession(context.Background(), s.sid)
	if err == nil && b == nil {
		return
	}
	sid, _ := n.claimSID("", s.wire.sidMaker)
	n.log.Debug("X-Request-ID names a cached session, not used as the sid", "request_id", s.sid, "sid", sid)
	n.releaseSID(s)
	s.mu.Lock() // logSID readers
	s.sid, s.sidFromClient = sid, false
	s.mu.Unlock()
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// connect authenticates the session (authenticators, then RPC Connect).
// m is a protocol.Handshaker's connect command (nil at the upgrade).
func (n *Node) connect(s *Session, m *encoders.Message) {
	if s.closed.Load() {
		return
	}
	req := s.req
	s.req = nil
	if h := s.wire.handshaker; h != nil && m != nil {
		var extra []frames.Header
		req, extra = h.Handshake(req, m)
		s.headers = append(s.headers, extra...)
	}
	n.checkCachedSID(s)
	if n.tryRestore(s, req) {
		return
	}
	// The protocol decides first (its own credentials), then the node's
	// authenticators, then the application.
	if a, ok := s.wire.proto.(protocol.ConnectAuthorizer); ok {
		if n.authorized(s, a.AuthorizeConnect(s.sid, req)) {
			return
		}
	}
	for _, a := range n.auth {
		if n.authorized(s, a.Authenticate(s.sid, req)) {
			return
		}
	}
	if n.rpc == nil {
		n.stats.FailedAuths.Add(1)
		s.sendDisconnect("unauthorized", false)
		s.close(protocol.CloseAuthFailed)
		return
	}
	n.rpcConnect(s)
}

// authorized applies an authority's decision; false means it did not
// decide (AuthSkip).
func (n *Node) authorized(s *Session, res AuthResult) bool {
	switch res.Outcome {
	case AuthSkip:
		return false
	case AuthOK:
		s.identifiers = res.Identifiers
		s.interest = -1
		n.register(s)
		s.sendWelcome(false, nil)
		n.established(s)
	case AuthReject:
		n.stats.FailedAuths.Add(1)
		s.sendDisconnect(res.Reason, false)
		if res.Code != 0 {
			s.closed.Store(true)
			s.conn.Close(res.Code, res.Reason)
			break
		}
		s.close(protocol.CloseAuthFailed)
	default:
		s.close(protocol.CloseAuthError)
	}
	return true
}

// established finishes setting up a session that passed authentication
// (registered first if the caller did not): pings, the session cache.
func (n *Node) established(s *Session) {
	if !s.connected {
		n.register(s)
	}
	if s.pingInterval > 0 {
		n.pinger.add(s, time.Now())
	}
	n.commitSession(s)
	if a, ok := s.conn.(Authenticated); ok {
		a.Authenticated()
	}
	n.log.Debug("websocket session established", "sid", s.sid)
}

// register makes an authenticated session findable (remote disconnect,
// shutdown, the client count) before its welcome is written: a client that
// has its welcome is always registered, so a remote disconnect sent right
// after the welcome finds it. The session's own cleanup cannot overtake the
// connect task: closed runs as a later task of the same session.
func (n *Node) register(s *Session) {
	s.connected = true
	n.mu.Lock()
	n.sessions[s] = struct{}{}
	n.mu.Unlock()
	n.stats.Clients.Add(1)
}

// closed cleans up after the socket is gone: streams, pings, Disconnect.
func (n *Node) closed(s *Session) {
	if s.released {
		return
	}
	s.released = true
	n.releaseSID(s)
	n.pinger.remove(s) // a handshake deadline is there before connect
	if !s.connected {
		return
	}
	s.connected = false
	n.mu.Lock()
	delete(n.sessions, s)
	n.mu.Unlock()
	n.stats.Clients.Add(-1)
	subscriptions := make([]string, 0, s.channels.len())
	for _, ch := range s.channels.list {
		id := ch.identifier()
		if s.wire.policy.LeaveOnClose {
			n.presenceRemove(s, ch)
		}
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
	if n.rpc == nil || s.wire.policy.NoDisconnectCall {
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
	target.close(protocol.CloseRemote)
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
