package sessions

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/rpcclient/rpcpb"
	"github.com/densecable/densecable/sessions/protocol"
)

// hsProto is the line protocol with the hooks of protocols that
// authenticate inside the socket (GraphQL): "hello PARAMS" is its connect
// command, "op ID" a subscribe followed by a perform (Message.Then), "bad"
// a refusal that closes, "soft" one that only answers, "dup" refused by
// its Screener after the first. A transmission "end" renders as two
// messages and ends its subscription.
type hsProto struct {
	lineProto
	timeout time.Duration
}

var _ interface {
	protocol.Handshaker
	protocol.Screener
	protocol.Transmitter
} = (*hsProto)(nil)

func (p *hsProto) Decode(b []byte, m *protocol.Command) error {
	*m = protocol.Command{}
	cmd, arg, _ := strings.Cut(string(b), " ")
	switch cmd {
	case "hello":
		m.Command, m.RawData = "connect", []byte(arg)
	case "op":
		m.Command, m.Identifier = "subscribe", arg
		m.Then = &protocol.Command{Command: "message", Identifier: arg, Data: `{"action":"run"}`, DataIsString: true}
	case "dup":
		m.Command = "ping"
	case "bad":
		return &protocol.Refusal{Code: 4400, Reason: "bad", Reply: []byte("bye bad")}
	case "soft":
		return &protocol.Refusal{Reply: []byte("oops")}
	default:
		return p.lineProto.Decode(b, m)
	}
	return nil
}

// The line protocol's own authorization and limit are not this test's.
func (p *hsProto) AuthorizeConnect(string, *frames.Request) protocol.AuthResult {
	return protocol.AuthResult{Outcome: protocol.AuthSkip}
}

func (p *hsProto) AuthorizeSubscribe(_, _, _ string, _ *protocol.Command) *rpcpb.CommandResponse {
	return nil
}
func (p *hsProto) Allow(any, *protocol.Command) bool { return true }

func (p *hsProto) HandshakeTimeout() time.Duration { return p.timeout }

func (p *hsProto) Handshake(req *frames.Request, m *protocol.Command) (*frames.Request, []frames.Header) {
	return req, []frames.Header{{Key: "x-hello", Value: string(m.RawData)}}
}

func (p *hsProto) NewState() any { return new(int) }

func (p *hsProto) Screen(state any, m *protocol.Command) error {
	if m.Command != "ping" {
		return nil
	}
	n := state.(*int)
	if *n++; *n > 1 {
		return &protocol.Refusal{Code: 4409, Reason: "dup"}
	}
	return nil
}

func (p *hsProto) Transmit(_ any, identifier, msg string, emit func([]byte)) (bool, error) {
	if msg != "end" {
		emit([]byte("tx " + identifier + " " + msg))
		return false, nil
	}
	emit([]byte("last " + identifier))
	emit([]byte("done " + identifier))
	return true, nil
}

// hsRPC records the calls a hsProto session makes.
type hsRPC struct{ events }

func (r *hsRPC) record(s string) { r.add(s) }

func (r *hsRPC) seen() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.got, "; ")
}

func (r *hsRPC) Connect(_ context.Context, _ string, req *rpcpb.ConnectionRequest) (*rpcpb.ConnectionResponse, error) {
	r.record("connect " + req.GetEnv().GetHeaders()["x-hello"])
	return &rpcpb.ConnectionResponse{Status: rpcpb.Status_SUCCESS, Identifiers: "u", Transmissions: []string{"hi"}}, nil
}

func (r *hsRPC) Command(_ context.Context, _ string, req *rpcpb.CommandMessage) (*rpcpb.CommandResponse, error) {
	r.record(req.GetCommand() + " " + req.GetIdentifier())
	res := &rpcpb.CommandResponse{Status: rpcpb.Status_SUCCESS}
	switch req.GetCommand() {
	case "subscribe":
		res.Streams = []string{"s:" + req.GetIdentifier()}
	case "message":
		res.Transmissions = []string{"end"}
	}
	return res, nil
}

func (r *hsRPC) Disconnect(context.Context, string, *rpcpb.DisconnectRequest) (*rpcpb.DisconnectResponse, error) {
	return &rpcpb.DisconnectResponse{Status: rpcpb.Status_SUCCESS}, nil
}

// A Handshaker's session connects on its message, with the headers its
// Handshake adds; a command becomes two (Then); a transmission becomes
// two messages and ends its subscription, which the core unsubscribes.
func TestHandshakerConnectsOnItsMessage(t *testing.T) {
	rpc := &hsRPC{}
	n, _ := newTestNode(t, Options{Workers: 2}, Deps{RPC: rpc})
	s, c := connectWith(n, &hsProto{timeout: time.Minute}, "/hs")
	blockSession(t, s)() // the worker ran whatever was queued at the upgrade
	if got := rpc.seen(); got != "" {
		t.Fatalf("calls before the handshake message: %q", got)
	}
	send(s, "hello {\"token\":1}")
	waitFor(t, "connected", func() bool { _, ok := c.find("tx  hi"); return ok })
	if got := rpc.seen(); got != `connect {"token":1}` {
		t.Fatalf("calls: %q", got)
	}
	send(s, "op room")
	waitFor(t, "unsubscribed after the end", func() bool {
		return rpc.seen() == `connect {"token":1}; subscribe room; message room; unsubscribe room`
	})
	if c.count("last room") != 1 || c.count("done room") != 1 {
		t.Fatalf("sent %v", c.sent())
	}
	waitFor(t, "channel gone", func() bool {
		done := make(chan int)
		s.push(task{kind: taskTest, hook: func() { done <- s.channels.len() }})
		return <-done == 0
	})
	// A second connect command is not a second connect.
	send(s, "hello again")
	blockSession(t, s)()
	if strings.Count(rpc.seen(), "connect") != 1 {
		t.Fatalf("calls: %q", rpc.seen())
	}
}

// No handshake message within the protocol's timeout: closed with the
// protocol's code for it, and the deadline leaves the pinger's heap; one
// that came in time keeps the connection past the deadline.
func TestHandshakeDeadline(t *testing.T) {
	rpc := &hsRPC{}
	n, _ := newTestNode(t, Options{Workers: 2, PingInterval: -1}, Deps{RPC: rpc})
	p := &hsProto{timeout: 200 * time.Millisecond}
	late, lc := connectWith(n, p, "/hs")
	onTime, oc := connectWith(n, p, "/hs")
	send(onTime, "hello x")
	waitFor(t, "late one closed", func() bool { closed, _, _ := lc.closeInfo(); return closed })
	if _, code, _ := lc.closeInfo(); code != 4000+uint16(protocol.CloseNoHandshake) {
		t.Fatalf("closed with %d", code)
	}
	waitFor(t, "heap empty", func() bool {
		n.pinger.mu.Lock()
		defer n.pinger.mu.Unlock()
		return len(n.pinger.heap) == 0 && late.pingPos == 0
	})
	if closed, _, _ := oc.closeInfo(); closed {
		t.Fatal("a client that sent its handshake in time was closed")
	}
	if _, ok := oc.find("tx  hi"); !ok {
		t.Fatalf("on-time client got %v", oc.sent())
	}
}

// Refusals: the protocol's reply, then its close; with code 0 the reply
// only. A Screener refuses by the connection's state.
func TestProtocolRefusals(t *testing.T) {
	n, _ := newTestNode(t, Options{Workers: 2}, Deps{RPC: &hsRPC{}})
	p := &hsProto{timeout: time.Minute}
	s, c := connectWith(n, p, "/hs")
	send(s, "soft")
	waitFor(t, "soft reply", func() bool { _, ok := c.find("oops"); return ok })
	if closed, _, _ := c.closeInfo(); closed {
		t.Fatal("closed on a code-0 refusal")
	}
	send(s, "bad")
	waitFor(t, "closed", func() bool { closed, _, _ := c.closeInfo(); return closed })
	if _, code, reason := c.closeInfo(); code != 4400 || reason != "bad" {
		t.Fatalf("closed with %d %q", code, reason)
	}
	if _, ok := c.find("bye bad"); !ok {
		t.Fatalf("sent %v", c.sent())
	}

	s2, c2 := connectWith(n, p, "/hs")
	send(s2, "dup")
	send(s2, "dup")
	waitFor(t, "screened", func() bool { closed, _, _ := c2.closeInfo(); return closed })
	if _, code, _ := c2.closeInfo(); code != 4409 {
		t.Fatalf("closed with %d", code)
	}
}
