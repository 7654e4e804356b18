package sessions

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/encoders"
	"github.com/densecable/densecable/rpcclient/rpcpb"
	"github.com/densecable/densecable/sessions/protocol"
)

// driverProto is a protocol.Driver written against the seam only: text
// commands "connect", "sub ID", "due"; it answers each itself, sees
// broadcasts before the client does ("got ..."), and ticks when asked.
type driverProto struct{}

type driverState struct{ due atomic.Bool }

var _ interface {
	protocol.Protocol
	protocol.Driver
	protocol.SubscribeAuthorizer
} = driverProto{}

func (driverProto) Name() string              { return "driver" }
func (driverProto) Encoder() encoders.Encoder { return lineCodec{} }
func (driverProto) Extended() bool            { return false }
func (driverProto) Decode(b []byte, m *protocol.Command) error {
	m.Reset()
	m.RawData = append([]byte(nil), b...)
	return nil
}
func (driverProto) AppendWelcome(dst []byte, _ string, _ bool, _ []string) ([]byte, error) {
	return dst, nil // nothing: the empty payload must not reach the client
}
func (driverProto) AppendReply(dst []byte, r *protocol.Reply) ([]byte, error) {
	return lineCodec{}.AppendReply(dst, r)
}
func (driverProto) AppendTransmission(dst []byte, _, msg string) ([]byte, error) {
	return append(dst, "tx "+msg...), nil
}
func (driverProto) AppendPing(dst []byte, _ int64) ([]byte, error) { return dst, nil }
func (driverProto) AppendDisconnect(dst []byte, _ string, _ bool) ([]byte, error) {
	return dst, nil
}
func (driverProto) CloseFor(kind protocol.CloseKind) (uint16, string) { return 4000 + uint16(kind), "" }
func (driverProto) RejectSubscription(string) string                  { return "denied" }

func (driverProto) AuthorizeSubscribe(_, _, identifier string, _ *protocol.Command) *rpcpb.CommandResponse {
	return &rpcpb.CommandResponse{Status: rpcpb.Status_SUCCESS, Streams: []string{identifier}}
}

func (driverProto) NewState() any { return &driverState{} }

func (driverProto) Handle(st any, m *protocol.Command, s protocol.Session) {
	cmd, arg, _ := strings.Cut(string(m.RawData), " ")
	switch cmd {
	case "connect":
		if s.Connect() {
			s.Send([]byte("connected " + s.URL()))
		}
	case "sub":
		if s.Subscribe(arg) {
			s.Send([]byte("subscribed " + arg))
		}
	case "due":
		st.(*driverState).due.Store(true)
	default:
		s.Debug("driver: unknown", "cmd", cmd)
		s.Send([]byte("unknown " + cmd))
	}
}

func (driverProto) Deliver(_ any, msg []byte, s protocol.Session) {
	s.Send(append([]byte("got "), msg...))
}

func (driverProto) Due(st any, _ int64) bool { return st.(*driverState).due.Load() }

func (driverProto) Tick(st any, _ int64, s protocol.Session) {
	st.(*driverState).due.Store(false)
	s.Send([]byte("tick"))
}

// A Driver connects when it says so, answers its client itself, gets the
// broadcasts to its streams unframed (the transport frames what it sends),
// and hears Tick at its pings when Due.
func TestDriverProtocol(t *testing.T) {
	n, log := newTestNode(t, Options{Workers: 2, PingInterval: 200 * time.Millisecond}, Deps{Authenticators: []Authenticator{okAuth{}}})
	s, c := connectWith(n, driverProto{}, "/drv/CP-1")

	// Not connected on open: the first command is handled unauthenticated.
	send(s, "hello")
	waitFor(t, "unconnected answer", func() bool { _, ok := c.find("unknown hello"); return ok })
	if got := n.Stats().Clients.Load(); got != 0 {
		t.Fatalf("a Driver's session connected on open: %d clients", got)
	}
	if len(log.lines(-4, "driver: unknown")) != 1 {
		t.Fatal("Session.Debug did not log")
	}

	send(s, "connect")
	waitFor(t, "connected", func() bool { _, ok := c.find("connected http://localhost/drv/CP-1"); return ok })
	if got := n.Stats().Clients.Load(); got != 1 {
		t.Fatalf("clients after Connect: %d", got)
	}
	for _, f := range c.sent() {
		if f.payload == "" {
			t.Fatal("an empty welcome reached the client")
		}
	}

	send(s, "sub public:a")
	waitFor(t, "subscribed", func() bool { _, ok := c.find("subscribed public:a"); return ok })
	n.pub.HandleBroadcast(&broker.Publication{Stream: "public:a", Data: `"hi"`})
	waitFor(t, "broadcast through Deliver", func() bool { _, ok := c.find(`got msg public:a "hi"`); return ok })
	if c.count(`msg public:a`) != 0 {
		t.Fatal("a broadcast bypassed the Driver")
	}

	send(s, "due")
	waitFor(t, "tick", func() bool { _, ok := c.find("tick"); return ok })
}

// Broadcasts waiting for a Driver count against the inbox bound: a client
// whose worker cannot keep up is cut off as too slow.
func TestDriverBroadcastsBounded(t *testing.T) {
	n, _ := newTestNode(t, Options{Workers: 2}, Deps{Authenticators: []Authenticator{okAuth{}}})
	s, c := connectWith(n, driverProto{}, "/drv/CP-2")
	send(s, "connect")
	send(s, "sub public:b")
	waitFor(t, "subscribed", func() bool { _, ok := c.find("subscribed public:b"); return ok })
	release := blockSession(t, s)
	defer release()
	for i := 0; i <= maxInbox; i++ {
		n.pub.HandleBroadcast(&broker.Publication{Stream: "public:b", Data: `"x"`})
	}
	waitFor(t, "cut off", func() bool { closed, _, _ := c.closeInfo(); return closed })
	if _, code, _ := c.closeInfo(); code != 4000+uint16(protocol.CloseTooSlow) {
		t.Fatalf("closed with %d, want the too-slow code", code)
	}
}

// timedDriver is a Driver with a handshake deadline (OCPP's BootNotification).
type timedDriver struct {
	driverProto
	timeout time.Duration
}

func (d timedDriver) HandshakeTimeout() time.Duration { return d.timeout }

// A Driver that is a HandshakeTimer must call Session.Connect in time: a
// client that never completes its handshake is closed at the deadline (one
// heap slot, no timer), one that does is connected and pinged on.
func TestDriverHandshakeDeadline(t *testing.T) {
	n, _ := newTestNode(t, Options{Workers: 2, PingInterval: 100 * time.Millisecond}, Deps{Authenticators: []Authenticator{okAuth{}}})
	p := timedDriver{timeout: 300 * time.Millisecond}
	late, lc := connectWith(n, p, "/drv/late")
	onTime, oc := connectWith(n, p, "/drv/on-time")
	send(onTime, "connect")
	waitFor(t, "on-time connected", func() bool { _, ok := oc.find("connected http://localhost/drv/on-time"); return ok })
	send(late, "hello") // messages before the handshake do not extend it
	waitFor(t, "late one closed", func() bool { closed, _, _ := lc.closeInfo(); return closed })
	if _, code, _ := lc.closeInfo(); code != 4000+uint16(protocol.CloseNoHandshake) {
		t.Fatalf("closed with %d, want the no-handshake code", code)
	}
	// The on-time client's slot turned into its ping schedule: Tick still runs.
	send(onTime, "due")
	waitFor(t, "tick after the deadline", func() bool { _, ok := oc.find("tick"); return ok })
	if closed, _, _ := oc.closeInfo(); closed {
		t.Fatal("a client that completed its handshake in time was closed")
	}
	if got := n.Stats().Clients.Load(); got != 1 {
		t.Fatalf("clients: %d, want 1", got)
	}
}
