package sessions

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"

	"github.com/densecable/densecable/encoders"
	"github.com/densecable/densecable/fanout"
	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/sessions/protocol"
)

// Transport is what the core needs from "the bytes to one client": the
// WebSocket on the event loop (poller.Conn) first; an SSE response or a
// long-poll buffer later. It owns its write path and its limits: a write
// past the transport's bound fails with an error whose TooSlow() is true,
// and the core cuts the client off (CloseTooSlow). Methods must not block:
// they are called from the session's worker, the pinger and fanout's gates.
//
// Close takes the code and reason the protocol chose (Protocol.CloseFor); a
// transport without close codes (SSE) just ends its response.
//
// Input goes the other way: the transport hands each complete client
// message to Session.Receive (the WebSocket one through OnMessage, which
// also handles pongs) and calls Session.OnClose once when the client is
// gone. Adding a transport is a package that implements this, plus the line
// that creates its sessions with Node.NewSession.
type Transport interface {
	// Write queues a complete frame without blocking; the frame must not be
	// modified afterwards.
	Write(frame []byte) error
	// Close closes once queued output is written, telling the client
	// code and reason where the transport can.
	Close(code uint16, reason string)
	// CloseWith sends a last frame (past any output limit), then closes.
	CloseWith(last []byte, code uint16, reason string)
	// Queue gathers a frame for Flush (broadcast batches): one write for
	// a burst. first reports that nothing was gathered before.
	Queue(frame []byte) (first bool, err error)
	Flush() error
	// RemoteIP is the client's address (env REMOTE_ADDR).
	RemoteIP() string
	// Framer wraps one encoded message for this transport (a WebSocket
	// frame, an SSE event). It returns the same shared value for every
	// connection of a kind: broadcasts are framed once per framer.
	Framer() frames.Framer
}

// NativePinger is an optional Transport method: a transport-level ping
// (a WebSocket ping frame), sent with each ping when native pings are on.
type NativePinger interface {
	NativePing() error
}

type taskKind uint8

const (
	taskConnect taskKind = iota
	taskCommand
	taskClosed
	taskTest      // runs hook; tests only
	taskBroadcast // a broadcast for a protocol.Driver (frame)
	taskTick      // a protocol.Driver's time-outs are due
)

type task struct {
	kind taskKind
	msg  *encoders.Message
	size int // a command's frame length, counted against maxInboxBytes
	// frame is a taskBroadcast's payload (shared, read-only).
	frame []byte
	hook  func() // taskTest's
}

// Session is one connected client. Fields below mu are touched only by the
// worker running the session's tasks (one at a time), except where noted.
//
// It is allocated once per connection, so its size is idle memory: fields
// are ordered so that the small ones pack together, and sessionSize (a
// test) fails if it grows past its size class.
type Session struct {
	node *Node
	conn Transport
	// wire: the protocol and the transport's framing (one shared pointer).
	wire *wire
	// pstate is the protocol's per-connection state (protocol.Stateful).
	pstate any
	sid    string

	// req is the upgrade request, kept only until authentication is done.
	req     *frames.Request
	url     string
	headers []frames.Header // env.headers passed to RPC (incl. REMOTE_ADDR)

	identifiers string
	cstate      map[string]string
	channels    subscriptions

	pingInterval time.Duration
	pingAt       int64 // next ping (Unix ns); guarded by pinger.mu
	pingPos      int32 // index+1 in the pinger's heap, 0 = none; guarded by pinger.mu
	// pingPrecision is the ping timestamp's unit (?ptp=, --ping_timestamp_precision).
	pingPrecision precision

	connected bool
	// authTried: a Driver's session asked to connect (once only).
	authTried bool
	// interest in a Disconnect call: >0 yes, <0 no (JWT/public), 0 unknown.
	interest int8
	// sidFromClient: sid is the client's X-Request-ID (checked against the
	// session cache before the welcome).
	sidFromClient bool
	// released: the node's cleanup ran (the sid is free again).
	released bool
	// scheduled: the inbox is queued on (or running on) a worker. Under mu,
	// beside the other one-byte fields rather than after mu.
	scheduled bool
	// holdsUpgrade: the transport's 101 waits for the Connect task's
	// first write (upgradehold.go); fixed at NewSession.
	holdsUpgrade bool

	// presence: the session joined some presence set (keep it alive);
	// read by the keepalive goroutine.
	presence atomic.Bool
	closed   atomic.Bool // the socket is gone or going
	// awaitingHandshake: a protocol.Handshaker's session has not sent its
	// connect command yet (the pinger enforces the deadline).
	awaitingHandshake atomic.Bool
	// pongDue is when the client must have said something since the last
	// ping (Unix ns; 0 = nothing expected). Any message clears it.
	pongDue atomic.Int64

	mu         sync.Mutex
	inboxCmds  int32 // commands in inbox (at most maxInbox)
	inboxBytes int32 // their frame bytes (at most maxInboxBytes + one command)
	inbox      []task
}

// ID is the session id (sid).
func (s *Session) ID() string { return s.sid }

// Format implements fanout.Subscriber: the protocol's codec and the
// transport's framing.
func (s *Session) Format() *fanout.Format { return s.wire.format }

// Encoder is the session's codec.
func (s *Session) Encoder() encoders.Encoder { return s.wire.format.Encoder }

// Protocol is the session's wire protocol.
func (s *Session) Protocol() protocol.Protocol { return s.wire.proto }

// Identifiers returns the connection identifiers (set after connect).
func (s *Session) Identifiers() string { return s.identifiers }

// Send implements fanout.Subscriber: queue a shared frame, cutting off a
// client that does not keep up. A Driver's broadcasts go to the Driver.
func (s *Session) Send(frame []byte) {
	if s.wire.driver != nil {
		s.deliver(frame)
		return
	}
	s.write(frame)
}

// write queues a frame on the transport.
func (s *Session) write(frame []byte) {
	if s.closed.Load() {
		return
	}
	if err := s.conn.Write(frame); err != nil {
		s.writeFailed(err)
	}
}

// Output implements fanout.Direct: a broadcast frame goes straight to the
// transport, as Send would put it, unless a protocol.Driver must see it.
func (s *Session) Output() fanout.Output {
	if s.wire.driver != nil {
		return nil
	}
	return s.conn
}

// OutputFailed implements fanout.Direct. A transport refuses writes once
// the session is closing, so skipping Send's closed check changes nothing.
func (s *Session) OutputFailed(err error) { s.writeFailed(err) }

// Queue implements fanout.Subscriber: gather a broadcast frame.
func (s *Session) Queue(frame []byte) bool {
	if s.wire.driver != nil {
		s.deliver(frame)
		return false
	}
	if s.closed.Load() {
		return false
	}
	first, err := s.conn.Queue(frame)
	if err != nil {
		s.writeFailed(err)
		return false
	}
	return first
}

// Flush implements fanout.Subscriber.
func (s *Session) Flush() {
	if err := s.conn.Flush(); err != nil {
		s.writeFailed(err)
	}
}

func (s *Session) writeFailed(err error) {
	if s.closed.Swap(true) {
		return
	}
	if isTooSlow(err) {
		s.node.stats.SlowClients.Add(1)
		s.node.log.Debug("client too slow, disconnecting", "sid", s.sid)
		code, reason := s.wire.proto.CloseFor(protocol.CloseTooSlow)
		b, _ := s.wire.proto.AppendDisconnect(nil, "too_slow", true)
		s.closeWith(b, code, reason)
		return
	}
	s.conn.Close(s.wire.proto.CloseFor(protocol.CloseNormal))
}

// OnMessage implements poller.Receiver: the WebSocket transport's input.
// A pong is activity only; a data message goes to Receive.
func (s *Session) OnMessage(op ws.OpCode, payload []byte) {
	if op == ws.OpPong {
		s.pongDue.Store(0)
		return
	}
	wantOp := ws.OpText
	if s.wire.proto.Encoder().FrameType() == encoders.BinaryFrame {
		wantOp = ws.OpBinary
	}
	if op != wantOp {
		s.pongDue.Store(0)
		s.node.stats.ClientMessages.Add(1)
		s.node.stats.BytesReceived.Add(uint64(len(payload)))
		s.node.stats.FailedClientMessages.Add(1)
		s.node.log.Debug("unexpected frame type for the protocol", "sid", s.logSID(), "opcode", op, "protocol", s.wire.proto.Name())
		return
	}
	s.Receive(payload)
}

// Receive takes one complete client message from any transport (a
// WebSocket data frame, a long-poll or SSE companion POST body). It runs on
// the transport's goroutine: decode here (cheap, copies what it keeps) and
// queue the command. It must not be called concurrently for one session.
func (s *Session) Receive(payload []byte) {
	s.pongDue.Store(0)
	s.node.stats.ClientMessages.Add(1)
	s.node.stats.BytesReceived.Add(uint64(len(payload)))
	msg := &encoders.Message{}
	if err := s.wire.proto.Decode(payload, msg); err != nil {
		s.node.stats.FailedClientMessages.Add(1)
		s.node.log.Debug("failed to decode incoming message", "sid", s.logSID(), "error", err)
		s.refuse(err)
		return
	}
	if sc := s.wire.screener; sc != nil {
		if err := sc.Screen(s.pstate, msg); err != nil {
			s.node.stats.FailedClientMessages.Add(1)
			s.node.log.Debug("command refused by the protocol", "sid", s.logSID(), "command", msg.Command, "error", err)
			s.refuse(err)
			return
		}
	}
	if l := s.wire.limiter; l != nil && !l.Allow(s.pstate, msg) {
		s.node.stats.FailedClientMessages.Add(1)
		s.node.log.Debug("command refused by the protocol's limit, disconnecting", "sid", s.logSID(), "command", msg.Command)
		s.tooManyRequests()
		return
	}
	kind := taskCommand
	if msg.Command == "connect" && s.wire.handshaker != nil {
		if !s.awaitingHandshake.CompareAndSwap(true, false) {
			s.node.stats.FailedClientMessages.Add(1)
			s.node.log.Debug("connect command after the handshake", "sid", s.logSID())
			return
		}
		kind = taskConnect
	}
	if !s.push(task{kind: kind, msg: msg, size: len(payload)}) {
		s.node.stats.FailedClientMessages.Add(1)
		s.tooManyRequests()
	}
}

// refuse answers input the protocol refused with a *protocol.Refusal: its
// reply, then its close (code 0: the connection stays). Other errors only
// drop the message.
func (s *Session) refuse(err error) {
	var r *protocol.Refusal
	if !errors.As(err, &r) {
		// Bad input the protocol answers but forgives (pusher:error).
		var er protocol.ErrorReply
		if errors.As(err, &er) {
			s.sendPayload(er.AppendErrorReply(nil))
		}
		return
	}
	if r.Code == 0 {
		if len(r.Reply) > 0 {
			s.sendPayload(r.Reply)
		}
		return
	}
	if s.closed.Swap(true) {
		return
	}
	s.closeWith(r.Reply, r.Code, r.Reason)
}

// closeWith closes with a last message when the protocol rendered one.
func (s *Session) closeWith(last []byte, code uint16, reason string) {
	if len(last) == 0 {
		s.conn.Close(code, reason)
		return
	}
	s.node.stats.ServerMessages.Add(1)
	s.conn.CloseWith(s.frame(last), code, reason)
}

// ReceiveCommand queues a command the transport built itself (an SSE
// request's subscriptions, from its query or body) instead of decoding a
// client message; the same bounds apply as to Receive. Call it from the
// transport's goroutine, like Receive.
func (s *Session) ReceiveCommand(m *encoders.Message, size int) {
	s.node.stats.ClientMessages.Add(1)
	if !s.push(task{kind: taskCommand, msg: m, size: size}) {
		s.node.stats.FailedClientMessages.Add(1)
		s.tooManyRequests()
	}
}

// canPong reports whether the client can answer a native ping: only a
// transport that sends one (a WebSocket) gets a pong deadline from it.
func (s *Session) canPong() bool {
	_, ok := s.conn.(NativePinger)
	return ok
}

// tooManyRequests cuts off a client that sends faster than its commands
// can be handled (RPC is the bound) rather than queue without limit. Debug
// level: the client controls how often this happens.
func (s *Session) tooManyRequests() {
	if s.closed.Swap(true) {
		return // already cut off; the rest of its input is dropped
	}
	s.node.log.Debug("too many queued commands, disconnecting", "sid", s.logSID(), "max_commands", maxInbox, "max_bytes", maxInboxBytes)
	code, reason := s.wire.proto.CloseFor(protocol.CloseTooManyRequests)
	b, _ := s.wire.proto.AppendDisconnect(nil, "too_many_requests", true)
	s.closeWith(b, code, reason)
}

// logSID reads the sid from a goroutine other than the session's worker
// (the worker may still replace it during connect).
func (s *Session) logSID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sid
}

// OnClose implements poller.Receiver.
func (s *Session) OnClose() {
	s.closed.Store(true)
	s.push(task{kind: taskClosed})
}

// maxInbox and maxInboxBytes bound the commands a session may have waiting
// (whichever comes first): a client cannot make the server hold more than
// this for it, however fast it sends.
const (
	maxInbox      = 256
	maxInboxBytes = 1 << 20
)

// inboxCost is what a command counts against maxInboxBytes: its size,
// capped so that the session's int32 count cannot overflow (one command of
// any size is accepted into an empty queue).
func inboxCost(size int) int32 { return int32(min(size, maxInboxBytes+1)) }

// push queues a task; it refuses client commands beyond maxInbox or
// maxInboxBytes (one command is always accepted into an empty queue, so a
// large but allowed message is never refused).
func (s *Session) push(t task) bool {
	s.mu.Lock()
	if t.kind == taskCommand || t.kind == taskBroadcast {
		if s.inboxCmds >= maxInbox || (s.inboxCmds > 0 && int(s.inboxBytes)+t.size > maxInboxBytes) {
			s.mu.Unlock()
			return false
		}
		s.inboxCmds++
		s.inboxBytes += inboxCost(t.size)
	}
	s.inbox = append(s.inbox, t)
	if s.scheduled {
		s.mu.Unlock()
		return true
	}
	s.scheduled = true
	s.mu.Unlock()
	s.node.exec.schedule(s)
	return true
}

// runTasks runs on an executor worker until the inbox is empty.
func (s *Session) runTasks() {
	for {
		s.mu.Lock()
		if len(s.inbox) == 0 {
			s.scheduled = false
			s.inbox = nil // idle sessions keep no buffer
			s.mu.Unlock()
			return
		}
		t := s.inbox[0]
		s.inbox[0] = task{}
		s.inbox = s.inbox[1:]
		if t.kind == taskCommand || t.kind == taskBroadcast {
			s.inboxCmds--
			s.inboxBytes -= inboxCost(t.size)
		}
		s.mu.Unlock()
		s.run(t)
	}
}

func (s *Session) run(t task) {
	switch t.kind {
	case taskConnect:
		s.node.connect(s, t.msg)
		if s.holdsUpgrade {
			// Whatever the outcome, the 101 goes now (a welcome or a
			// rejection has already taken it along).
			_ = s.conn.Flush()
		}
	case taskCommand:
		for m := t.msg; m != nil; m = m.Then {
			if s.closed.Load() {
				s.node.stats.CanceledCommands.Add(1)
				return
			}
			s.node.handleCommand(s, m)
		}
	case taskClosed:
		s.node.closed(s)
	case taskTest:
		t.hook()
	case taskBroadcast:
		if !s.closed.Load() {
			s.wire.driver.Deliver(s.pstate, t.frame, (*driven)(s))
		}
	case taskTick:
		if !s.closed.Load() {
			s.wire.driver.Tick(s.pstate, time.Now().UnixNano(), (*driven)(s))
		}
	}
}

// sendReply encodes and writes a reply to this session only.
func (s *Session) sendReply(r *encoders.Reply) {
	b, err := s.wire.proto.AppendReply(nil, r)
	if err != nil {
		s.node.log.Error("failed to encode reply", "sid", s.sid, "error", err)
		return
	}
	s.sendPayload(b)
}

// sendWelcome tells the client it is connected (after a restore: which
// subscriptions came back).
func (s *Session) sendWelcome(restored bool, ids []string) {
	b, err := s.wire.proto.AppendWelcome(nil, s.sid, restored, ids)
	if err != nil {
		s.node.log.Error("failed to encode welcome", "sid", s.sid, "error", err)
		return
	}
	s.sendPayload(b)
}

// sendTransmission hands a transmission of the application (for the
// subscription identifier, "" for the connection) to the protocol, which
// may reshape or drop it. ends: a protocol.Transmitter says it ends the
// subscription.
func (s *Session) sendTransmission(identifier, msg string) (ends bool) {
	if t := s.wire.transmitter; t != nil {
		ends, err := t.Transmit(s.pstate, identifier, msg, s.sendPayload)
		if err != nil {
			s.node.stats.FailedServerMessages.Add(1)
			s.node.log.Error("failed to encode transmission", "sid", s.sid, "error", err)
		}
		return ends
	}
	b, err := s.wire.proto.AppendTransmission(nil, identifier, msg)
	if err != nil {
		s.node.stats.FailedServerMessages.Add(1)
		s.node.log.Error("failed to encode transmission", "sid", s.sid, "error", err)
		return false
	}
	s.sendPayload(b)
	return false
}

func (s *Session) sendDisconnect(reason string, reconnect bool) {
	b, err := s.wire.proto.AppendDisconnect(nil, reason, reconnect)
	if err != nil {
		return
	}
	s.sendPayload(b)
}

// sendPayload frames and sends one message; an empty one is what a
// protocol renders for "nothing to say" and is not sent.
func (s *Session) sendPayload(p []byte) {
	if len(p) == 0 {
		return
	}
	s.node.stats.ServerMessages.Add(1)
	s.write(s.frame(p))
}

// frame wraps a payload for the session's transport.
func (s *Session) frame(p []byte) []byte { return s.wire.frame(nil, p) }

// wire is what a session's output is made with: its protocol, and the
// fanout format (the protocol's codec, the transport's framing). A node
// interns one per (protocol, framer), so a session holds one pointer and
// fanout shares frames between sessions with the same format.
type wire struct {
	proto  protocol.Protocol
	format *fanout.Format
	// limiter is proto's protocol.Limiter, if any: resolved once here, not
	// by a type assertion per client message; so are the other hooks.
	limiter     protocol.Limiter
	sidMaker    protocol.SIDMaker
	whisperer   protocol.Whisperer
	policy      protocol.Policy
	screener    protocol.Screener
	transmitter protocol.Transmitter
	handshaker  protocol.Handshaker
	// driver is proto's protocol.Driver, if any; its format is unframed
	// (frames.Unframed), so framer is the transport's.
	driver protocol.Driver
	framer frames.Framer
}

type wireKey struct {
	proto  protocol.Protocol
	framer frames.Framer
}

// frame appends payload framed for the transport to dst (nil: exact size).
// With dst nil and a transport that adds nothing, p is the frame itself:
// every caller passes a buffer rendered for this one send and never
// changes it after.
func (w *wire) frame(dst, p []byte) []byte {
	f := w.framer
	if dst == nil && frames.IsUnframed(f) {
		return p
	}
	if dst == nil {
		dst = make([]byte, 0, f.FrameSize(len(p)))
	}
	return f.AppendFrame(dst, p, w.format.Encoder.FrameType() == encoders.BinaryFrame)
}

// close ends the session for the given reason, in the protocol's terms.
func (s *Session) close(kind protocol.CloseKind) {
	s.closed.Store(true)
	s.conn.Close(s.wire.proto.CloseFor(kind))
}

// isTooSlow recognises the socket layer's "output queue full" error without
// importing it.
func isTooSlow(err error) bool {
	var t interface{ TooSlow() bool }
	return errors.As(err, &t) && t.TooSlow()
}

func (s *Session) presenceActive() bool { return s.presence.Load() }
