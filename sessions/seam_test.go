package sessions

import (
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/encoders"
	"github.com/densecable/densecable/fanout"
	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/rpcclient/rpcpb"
	"github.com/densecable/densecable/sessions/protocol"
)

// lineProto is a second protocol, written only against the seam, to show
// that one plugs in without a change to the core: text lines "sub ID",
// "unsub ID" in; "welcome SID", "tx ID MSG", "msg ID DATA", "ping TS",
// "bye REASON" out. It authorizes connections (?key=) and subscriptions
// ("public:" identifiers) itself, without RPC, limits each connection to
// lineMaxCommands commands, and closes with codes of its own.
type lineProto struct{ key string }

const lineMaxCommands = 5

var _ interface {
	protocol.Protocol
	protocol.ConnectAuthorizer
	protocol.SubscribeAuthorizer
	protocol.Stateful
	protocol.Limiter
} = (*lineProto)(nil)

func (p *lineProto) Name() string              { return "line" }
func (p *lineProto) Encoder() encoders.Encoder { return lineCodec{} }
func (p *lineProto) Extended() bool            { return false }
func (p *lineProto) Decode(b []byte, m *protocol.Command) error {
	return lineCodec{}.Decode(b, m)
}

func (p *lineProto) AppendWelcome(dst []byte, sid string, _ bool, _ []string) ([]byte, error) {
	return append(append(dst, "welcome "...), sid...), nil
}

func (p *lineProto) AppendReply(dst []byte, r *protocol.Reply) ([]byte, error) {
	return lineCodec{}.AppendReply(dst, r)
}

// AppendTransmission reshapes what the application (here: the protocol's
// own authorizer) transmits, and keeps "internal" ones off the wire.
func (p *lineProto) AppendTransmission(dst []byte, identifier, msg string) ([]byte, error) {
	if msg == "internal" {
		return dst, nil
	}
	return append(dst, "tx "+identifier+" "+msg...), nil
}

func (p *lineProto) AppendPing(dst []byte, ts int64) ([]byte, error) {
	return lineCodec{}.AppendPing(dst, ts)
}

func (p *lineProto) AppendDisconnect(dst []byte, reason string, reconnect bool) ([]byte, error) {
	return lineCodec{}.AppendDisconnect(dst, reason, reconnect)
}

func (p *lineProto) CloseFor(kind protocol.CloseKind) (uint16, string) {
	return 4000 + uint16(kind), "line"
}

func (p *lineProto) RejectSubscription(string) string { return "denied" }

func (p *lineProto) AuthorizeConnect(_ string, req *frames.Request) protocol.AuthResult {
	if req.Query().Get("key") != p.key {
		return protocol.AuthResult{Outcome: protocol.AuthReject, Reason: "bad_key"}
	}
	return protocol.AuthResult{Outcome: protocol.AuthOK, Identifiers: "line-user"}
}

func (p *lineProto) AuthorizeSubscribe(_, _, identifier string, _ *protocol.Command) *rpcpb.CommandResponse {
	if !strings.HasPrefix(identifier, "public:") {
		return nil // not mine: the core asks its router, then RPC (none here)
	}
	return &rpcpb.CommandResponse{Status: rpcpb.Status_SUCCESS, Streams: []string{identifier},
		Transmissions: []string{"internal", "ok"}}
}

func (p *lineProto) NewState() any { return new(atomic.Int32) }

func (p *lineProto) Allow(state any, _ *protocol.Command) bool {
	return state.(*atomic.Int32).Add(1) <= lineMaxCommands
}

// lineCodec is the line protocol's codec (what fanout encodes broadcasts
// with).
type lineCodec struct{}

func (lineCodec) ID() string                    { return "line" }
func (lineCodec) FrameType() encoders.FrameType { return encoders.TextFrame }

func (lineCodec) Decode(b []byte, m *encoders.Message) error {
	m.Reset()
	cmd, id, ok := strings.Cut(string(b), " ")
	if !ok {
		return errors.New("line: want COMMAND ID")
	}
	switch cmd {
	case "sub":
		m.Command = "subscribe"
	case "unsub":
		m.Command = "unsubscribe"
	default:
		return errors.New("line: unknown command")
	}
	m.Identifier = id
	return nil
}

func (lineCodec) AppendReply(dst []byte, r *encoders.Reply) ([]byte, error) {
	return append(dst, "msg "+r.Identifier+" "+string(r.Message)...), nil
}

func (lineCodec) AppendDisconnect(dst []byte, reason string, _ bool) ([]byte, error) {
	return append(dst, "bye "+reason...), nil
}

func (lineCodec) AppendPing(dst []byte, ts int64) ([]byte, error) {
	return strconv.AppendInt(append(dst, "ping "...), ts, 10), nil
}

func (lineCodec) AppendTransmission(dst []byte, msg string) ([]byte, error) {
	return append(dst, msg...), nil
}

// events records what an Observer hears.
type events struct {
	mu  sync.Mutex
	got []string
}

func (e *events) add(s string) {
	e.mu.Lock()
	e.got = append(e.got, s)
	e.mu.Unlock()
}

func (e *events) has(s string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, g := range e.got {
		if g == s {
			return true
		}
	}
	return false
}

func (e *events) StreamOccupied(stream string)               { e.add("occupied " + stream) }
func (e *events) StreamVacated(stream string)                { e.add("vacated " + stream) }
func (e *events) PresenceJoined(stream, id string, _ []byte) { e.add("joined " + stream + " " + id) }
func (e *events) PresenceLeft(stream, id string)             { e.add("left " + stream + " " + id) }

// newLineNode is a node without RPC whose hub reports stream transitions
// to the node's observers, as cmd/densecable wires it.
func newLineNode(t *testing.T, obs protocol.Observer) *Node {
	t.Helper()
	log := slog.New(&logRecorder{})
	var n *Node
	hub := fanout.New(fanout.Options{
		OnStreamAdded:   func(s string) { n.StreamOccupied(s) },
		OnStreamRemoved: func(s string) { n.StreamVacated(s) },
	}, log)
	n, _ = newTestNode(t, Options{Workers: 2}, Deps{Hub: hub, Observers: []protocol.Observer{obs}})
	return n
}

func TestSecondProtocolPlugsIn(t *testing.T) {
	obs := &events{}
	n := newLineNode(t, obs)
	lp := &lineProto{key: "k"}

	// The protocol refuses a connection itself, in its own words and codes.
	_, bad := connectWith(n, lp, "/line?key=nope")
	waitFor(t, "refusal", func() bool { closed, _, _ := bad.closeInfo(); return closed })
	if _, ok := bad.find("bye bad_key"); !ok {
		t.Fatalf("refused client got %v", bad.sent())
	}
	if _, code, reason := bad.closeInfo(); code != 4000+uint16(protocol.CloseAuthFailed) || reason != "line" {
		t.Fatalf("refused client closed with %d %q", code, reason)
	}

	s, c := connectWith(n, lp, "/line?key=k")
	waitFor(t, "welcome", func() bool { _, ok := c.find("welcome " + s.ID()); return ok })

	// Subscriptions the protocol authorizes need no RPC; its transmission
	// hook reshapes ("tx") or drops ("internal") what comes back.
	send(s, "sub public:a")
	waitFor(t, "subscription accepted", func() bool { _, ok := c.find("tx public:a ok"); return ok })
	if _, ok := c.find("tx public:a internal"); ok {
		t.Fatal("a transmission the protocol drops reached the client")
	}
	waitFor(t, "occupied", func() bool { return obs.has("occupied public:a") })
	n.pub.HandleBroadcast(&broker.Publication{Stream: "public:a", Data: `"hello"`})
	waitFor(t, "broadcast in the protocol's shape", func() bool { _, ok := c.find(`msg public:a "hello"`); return ok })

	// Others fall through to the core (no router, no RPC): rejected, in the
	// protocol's words.
	send(s, "sub private:b")
	waitFor(t, "rejection", func() bool { _, ok := c.find("tx private:b denied"); return ok })

	send(s, "unsub public:a")
	waitFor(t, "vacated", func() bool { return obs.has("vacated public:a") })

	// The protocol's per-connection limit: past it the client is cut off.
	for i := 0; i < 3; i++ {
		send(s, "sub public:x"+strconv.Itoa(i))
	}
	waitFor(t, "cut off at the protocol's limit", func() bool { closed, _, _ := c.closeInfo(); return closed })
	if _, code, _ := c.closeInfo(); code != 4000+uint16(protocol.CloseTooManyRequests) {
		t.Fatalf("over-limit client closed with %d", code)
	}
	if _, ok := c.find("bye too_many_requests"); !ok {
		t.Fatalf("over-limit client got %v", c.sent())
	}
}

// Presence transitions reach observers (a webhook's join/leave).
func TestObserverHearsPresence(t *testing.T) {
	obs := &events{}
	n := newLineNode(t, obs)
	n.broadcastPresence("p", &broker.PresenceEvent{Type: "join", ID: "u1"}, "")
	n.broadcastPresence("p", &broker.PresenceEvent{Type: "leave", ID: "u1"}, "")
	if !obs.has("joined p u1") || !obs.has("left p u1") {
		t.Fatalf("observer heard %v", obs.got)
	}
}

// lineFramer is a second transport's framing (like an SSE transport's
// "data:" events): one message per line, no WebSocket header.
type lineFramer struct{}

func (lineFramer) AppendFrame(dst, p []byte, _ bool) []byte {
	return append(append(append(dst, "data: "...), p...), '\n')
}
func (lineFramer) FrameSize(n int) int { return n + 7 }

// lineTransport is a second fake transport: it records the bytes it is
// given, framed by lineFramer, and has no close codes.
type lineTransport struct {
	recv   interface{ OnClose() }
	mu     sync.Mutex
	out    strings.Builder
	closed bool
}

func (t *lineTransport) Write(b []byte) error {
	t.mu.Lock()
	t.out.Write(b)
	t.mu.Unlock()
	return nil
}
func (t *lineTransport) Queue(b []byte) (bool, error) { return true, t.Write(b) }
func (t *lineTransport) Flush() error                 { return nil }
func (t *lineTransport) RemoteIP() string             { return "127.0.0.2" }
func (t *lineTransport) Framer() frames.Framer        { return lineFramer{} }
func (t *lineTransport) Close(uint16, string) {
	t.mu.Lock()
	first := !t.closed
	t.closed = true
	t.mu.Unlock()
	if first && t.recv != nil {
		t.recv.OnClose()
	}
}
func (t *lineTransport) CloseWith(last []byte, code uint16, reason string) {
	_ = t.Write(last)
	t.Close(code, reason)
}

func (t *lineTransport) has(s string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Contains(t.out.String(), s)
}

// A second transport plugs in too: replies, pings and broadcasts reach it
// in its own framing, while a WebSocket client of the same protocol and
// stream gets WebSocket frames (fanout frames once per framer).
func TestSecondTransportPlugsIn(t *testing.T) {
	n, _ := newTestNode(t, Options{Workers: 2, PingInterval: time.Second}, Deps{})
	lp := &lineProto{key: "k"}
	tr := &lineTransport{}
	s := n.NewSession(tr, lp, &frames.Request{URI: "/line?key=k", Host: "localhost"})
	tr.mu.Lock()
	tr.recv = s
	tr.mu.Unlock()
	ws, wc := connectWith(n, lp, "/line?key=k")

	waitFor(t, "welcome as a line", func() bool { return tr.has("data: welcome " + s.ID() + "\n") })
	s.Receive([]byte("sub public:a")) // a transport without WebSocket opcodes
	send(ws, "sub public:a")
	waitFor(t, "both subscribed", func() bool { return tr.has("data: tx public:a ok\n") && wc.count("tx public:a ok") == 1 })
	n.pub.HandleBroadcast(&broker.Publication{Stream: "public:a", Data: `"hi"`})
	waitFor(t, "broadcast as a line", func() bool { return tr.has("data: msg public:a \"hi\"\n") })
	waitFor(t, "broadcast as a WebSocket frame", func() bool { return wc.count(`msg public:a "hi"`) == 1 })
	waitFor(t, "ping as a line", func() bool { return tr.has("data: ping ") })
}
