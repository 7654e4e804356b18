package sessions

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/broker/store/memory"
	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/rpcclient/rpcpb"
	"github.com/densecable/densecable/sessions/pusher"
)

// The Pusher protocol on the core, through the hooks it uses: socket ids
// (SIDMaker), its own close codes for a rejected connection
// (AuthResult.Code), member events to the other members only and leave on
// close (SessionPolicy), client events (Whisperer), error replies to bad
// input (ErrorReply) and the client event limit (Stateful + Limiter).

const (
	pKey    = "key1"
	pSecret = "secret1"
)

func newPusherNode(t *testing.T, opts pusher.Options) (*Node, *pusher.Protocol) {
	t.Helper()
	b := memory.New(broker.DefaultOptions(), nil, nil)
	opts.AppKey, opts.Secret, opts.Presence = pKey, pSecret, b
	n, _ := newTestNode(t, Options{Workers: 4}, Deps{Broker: b})
	return n, pusher.New(opts)
}

// pusherAuth signs like a backend's channel authorization endpoint.
func pusherAuth(parts ...string) string {
	return pKey + ":" + hex.EncodeToString(pusher.Sign(pSecret, strings.Join(parts, ":")))
}

func pusherConnect(t *testing.T, n *Node, p *pusher.Protocol) (*Session, *fakeConn) {
	t.Helper()
	s, c := connectWith(n, p, "/app/"+pKey+"?protocol=7&client=js")
	waitFor(t, "connection_established", func() bool {
		_, ok := c.find(`{"event":"pusher:connection_established","data":"{\"socket_id\":\"` + s.ID() + `\",\"activity_timeout\":30}"}`)
		return ok
	})
	return s, c
}

func pusherSubscribe(s *Session, channel, auth, channelData string) {
	d, _ := json.Marshal(map[string]string{"channel": channel, "auth": auth, "channel_data": channelData})
	send(s, `{"event":"pusher:subscribe","data":`+string(d)+`}`)
}

func TestPusherSocketIDs(t *testing.T) {
	n, p := newPusherNode(t, pusher.Options{})
	s, _ := pusherConnect(t, n, p)
	if !p.ValidSID(s.ID()) {
		t.Fatalf("sid %q is not a socket id", s.ID())
	}
	// A client's X-Request-ID in the socket id format is used; another is not.
	s2, _ := connectWith(n, p, "/app/"+pKey, "X-Request-ID", "123.456")
	if s2.ID() != "123.456" {
		t.Fatalf("sid = %q", s2.ID())
	}
	s3, _ := connectWith(n, p, "/app/"+pKey, "X-Request-ID", "abc")
	if !p.ValidSID(s3.ID()) {
		t.Fatalf("sid %q is not a socket id", s3.ID())
	}
}

func TestPusherRejectsConnections(t *testing.T) {
	n, p := newPusherNode(t, pusher.Options{})
	for _, tc := range []struct {
		uri  string
		code uint16
	}{
		{"/app/wrong?protocol=7", pusher.CodeAppNotFound},
		{"/app/" + pKey + "?protocol=4", pusher.CodeUnsupportedVersion},
		{"/app/" + pKey + "?protocol=8", pusher.CodeUnsupportedVersion},
		{"/app/" + pKey + "?protocol=x", pusher.CodeInvalidVersion},
	} {
		_, c := connectWith(n, p, tc.uri)
		waitFor(t, "close of "+tc.uri, func() bool { closed, _, _ := c.closeInfo(); return closed })
		if _, code, _ := c.closeInfo(); code != tc.code {
			t.Errorf("%s: closed with %d, want %d", tc.uri, code, tc.code)
		}
		want := `{"event":"pusher:error","data":{"code":` + itoa(int(tc.code))
		if _, ok := c.find(want); !ok {
			t.Errorf("%s: got %v, want %s", tc.uri, c.sent(), want)
		}
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func TestPusherChannels(t *testing.T) {
	n, p := newPusherNode(t, pusher.Options{})
	s, c := pusherConnect(t, n, p)

	pusherSubscribe(s, "news", "", "")
	waitFor(t, "public subscription", func() bool {
		_, ok := c.find(`{"event":"pusher_internal:subscription_succeeded","channel":"news","data":"{}"}`)
		return ok
	})
	pusherSubscribe(s, "private-a", pusherAuth(s.ID(), "private-a"), "")
	waitFor(t, "private subscription", func() bool {
		_, ok := c.find(`{"event":"pusher_internal:subscription_succeeded","channel":"private-a"`)
		return ok
	})
	// Signed for another socket: refused as Pusher refuses.
	pusherSubscribe(s, "private-b", pusherAuth("1.2", "private-b"), "")
	waitFor(t, "refusal", func() bool {
		_, ok := c.find(`{"event":"pusher:subscription_error","channel":"private-b","data":{"type":"AuthError","error":"Invalid signature","status":401}}`)
		return ok
	})
	n.pub.HandleBroadcast(&broker.Publication{Stream: "private-b", Data: `{"event":"leak","data":"x"}`})
	n.pub.HandleBroadcast(&broker.Publication{Stream: "private-a", Data: `{"event":"order","data":"{\"id\":1}"}`})
	waitFor(t, "event", func() bool {
		_, ok := c.find(`{"event":"order","channel":"private-a","data":"{\"id\":1}"}`)
		return ok
	})
	// Not of the event shape: delivered as event "message".
	n.pub.HandleBroadcast(&broker.Publication{Stream: "news", Data: `{"text":"hi"}`})
	waitFor(t, "plain broadcast", func() bool {
		_, ok := c.find(`{"event":"message","channel":"news","data":"{\"text\":\"hi\"}"}`)
		return ok
	})
	if _, ok := c.find(`{"event":"leak"`); ok {
		t.Fatal("an unauthorized channel's event was delivered")
	}
	send(s, `{"event":"pusher:unsubscribe","data":{"channel":"news"}}`)
	send(s, `{"event":"pusher:ping","data":{}}`)
	waitFor(t, "pong", func() bool { _, ok := c.find(`{"event":"pusher:pong","data":{}}`); return ok })
	n.pub.HandleBroadcast(&broker.Publication{Stream: "news", Data: `{"event":"late","data":"x"}`})
	n.pub.HandleBroadcast(&broker.Publication{Stream: "private-a", Data: `{"event":"marker","data":"x"}`})
	waitFor(t, "marker", func() bool { _, ok := c.find(`{"event":"marker"`); return ok })
	if _, ok := c.find(`{"event":"late"`); ok {
		t.Fatal("an event reached an unsubscribed channel")
	}
	// Bad input: an error reply, the connection stays.
	send(s, `{"event":"pusher:subscribe","data":`)
	send(s, `{"event":"pusher:signin","data":{}}`)
	waitFor(t, "error replies", func() bool { return c.count(`{"event":"pusher:error","data":{"code":null`) == 2 })
	if closed, _, _ := c.closeInfo(); closed {
		t.Fatal("bad input closed the connection")
	}
}

func TestPusherPresenceAndClientEvents(t *testing.T) {
	var heard []string
	n, p := newPusherNode(t, pusher.Options{OnClientEvent: func(ch, ev string, data []byte, sid, uid string) {
		heard = append(heard, ch+" "+ev+" "+string(data)+" "+sid+" "+uid)
	}})
	const room = "presence-room"
	a, ca := pusherConnect(t, n, p)
	b, cb := pusherConnect(t, n, p)
	b2, cb2 := pusherConnect(t, n, p) // b's second socket

	da := `{"user_id":"ua","user_info":{"name":"A"}}`
	pusherSubscribe(a, room, pusherAuth(a.ID(), room, da), da)
	waitFor(t, "a's members", func() bool {
		_, ok := ca.find(`{"event":"pusher_internal:subscription_succeeded","channel":"presence-room","data":"{\"presence\":{\"ids\":[\"ua\"],\"hash\":{\"ua\":{\"name\":\"A\"}},\"count\":1}}"}`)
		return ok
	})
	db := `{"user_id":7}` // Laravel sends integer ids
	pusherSubscribe(b, room, pusherAuth(b.ID(), room, db), db)
	waitFor(t, "member_added", func() bool {
		_, ok := ca.find(`{"event":"pusher_internal:member_added","channel":"presence-room","data":"{\"user_id\":\"7\"}"}`)
		return ok
	})
	waitFor(t, "b's members", func() bool {
		_, ok := cb.find(`{"event":"pusher_internal:subscription_succeeded","channel":"presence-room","data":"{\"presence\":{\"ids\":[`)
		return ok
	})
	if f, _ := cb.find(`{"event":"pusher_internal:subscription_succeeded"`); !strings.Contains(f.payload, `\"count\":2`) {
		t.Fatalf("b's members: %s", f.payload)
	}
	// b's second socket is the same member: no second member_added.
	pusherSubscribe(b2, room, pusherAuth(b2.ID(), room, db), db)
	waitFor(t, "b2 subscribed", func() bool { _, ok := cb2.find(`{"event":"pusher_internal:subscription_succeeded"`); return ok })

	// A client event reaches the others with the sender's user id, not the sender.
	send(b, `{"event":"client-typing","channel":"presence-room","data":{"x":1}}`)
	waitFor(t, "client event", func() bool {
		_, ok := ca.find(`{"event":"client-typing","channel":"presence-room","data":{"x":1},"user_id":"7"}`)
		return ok
	})
	waitFor(t, "client event on the same user's other socket", func() bool { _, ok := cb2.find(`{"event":"client-typing"`); return ok })
	if len(heard) != 1 || heard[0] != `presence-room client-typing {"x":1} `+b.ID()+` 7` {
		t.Fatalf("OnClientEvent heard %q", heard)
	}
	b.conn.Close(1000, "")
	b2.conn.Close(1000, "")
	// Leave on close: member_removed at once, not after presence_ttl.
	waitFor(t, "member_removed", func() bool {
		_, ok := ca.find(`{"event":"pusher_internal:member_removed","channel":"presence-room","data":"{\"user_id\":\"7\"}"}`)
		return ok
	})
	for _, c := range []*fakeConn{ca, cb, cb2} {
		if n := c.count(`{"event":"pusher_internal:member_added"`); c != ca && n != 0 || c == ca && n != 1 {
			t.Fatalf("member_added sent %d times to %v", n, c.sent())
		}
	}
	if _, ok := cb.find(`{"event":"client-typing"`); ok {
		t.Fatal("a client event was echoed to its sender")
	}
	// Client events on public channels are refused.
	pusherSubscribe(a, "news", "", "")
	send(a, `{"event":"client-x","channel":"news","data":{}}`)
	waitFor(t, "public refusal", func() bool {
		_, ok := ca.find(`{"event":"pusher:error","data":{"code":null,"message":"Client events are only supported on private and presence channels"}}`)
		return ok
	})
}

func TestPusherClientEventRate(t *testing.T) {
	n, p := newPusherNode(t, pusher.Options{ClientEventRate: 3})
	s, c := pusherConnect(t, n, p)
	pusherSubscribe(s, "private-a", pusherAuth(s.ID(), "private-a"), "")
	waitFor(t, "subscribed", func() bool { _, ok := c.find(`{"event":"pusher_internal:subscription_succeeded"`); return ok })
	for i := 0; i < 10; i++ {
		send(s, `{"event":"client-x","channel":"private-a","data":{}}`)
	}
	waitFor(t, "cut off", func() bool { closed, _, _ := c.closeInfo(); return closed })
	if _, code, _ := c.closeInfo(); code != pusher.CodeClientEventRate {
		t.Fatalf("closed with %d", code)
	}
	if _, ok := c.find(`{"event":"pusher:error","data":{"code":4301,`); !ok {
		t.Fatalf("got %v", c.sent())
	}
}

// The server pings Pusher clients at the protocol's interval, not the
// node's (every 3 s would make every client answer every 3 s).
func TestPusherServerPings(t *testing.T) {
	b := memory.New(broker.DefaultOptions(), nil, nil)
	n, _ := newTestNode(t, Options{Workers: 2, PingInterval: time.Hour}, Deps{Broker: b})
	p := pusher.New(pusher.Options{AppKey: pKey, ActivityTimeout: 600 * time.Millisecond})
	_, c := connectWith(n, p, "/app/"+pKey)
	waitFor(t, "server ping", func() bool { return c.count(`{"event":"pusher:ping","data":{}}`) >= 2 })
}

// seqSIDs hands out fixed ids, to show the core draws again on a clash.
type seqSIDs struct{ ids []string }

func (m *seqSIDs) NewSID() string {
	id := m.ids[0]
	m.ids = m.ids[1:]
	return id
}
func (m *seqSIDs) ValidSID(id string) bool { return strings.HasPrefix(id, "ok-") }

func TestProtocolSIDsDrawnAgainOnClash(t *testing.T) {
	n, _ := newTestNode(t, Options{Workers: 1}, Deps{})
	mk := &seqSIDs{ids: []string{"1.1", "1.1", "1.1", "2.2"}}
	a, _ := n.claimSID("", mk)
	b, _ := n.claimSID("", mk)
	if a != "1.1" || b != "2.2" {
		t.Fatalf("ids %q %q", a, b)
	}
	// The protocol's rule decides which X-Request-ID is used.
	if id, fromClient := n.claimSID("ok-1", mk); id != "ok-1" || !fromClient {
		t.Fatalf("valid request id: %q %v", id, fromClient)
	}
	mk.ids = []string{"3.3"}
	if id, fromClient := n.claimSID("abc", mk); id != "3.3" || fromClient {
		t.Fatalf("invalid request id: %q %v", id, fromClient)
	}
}

// strictRPC fails the test on any call: Pusher connections never reach
// the application, even when one is configured.
type strictRPC struct{ t *testing.T }

func (r strictRPC) Connect(context.Context, string, *rpcpb.ConnectionRequest) (*rpcpb.ConnectionResponse, error) {
	r.t.Error("RPC Connect for a Pusher connection")
	return nil, errors.New("no")
}

func (r strictRPC) Command(context.Context, string, *rpcpb.CommandMessage) (*rpcpb.CommandResponse, error) {
	r.t.Error("RPC Command for a Pusher connection")
	return nil, errors.New("no")
}

func (r strictRPC) Disconnect(context.Context, string, *rpcpb.DisconnectRequest) (*rpcpb.DisconnectResponse, error) {
	r.t.Error("RPC Disconnect for a Pusher connection")
	return nil, errors.New("no")
}

func TestPusherNeverCallsRPC(t *testing.T) {
	b := memory.New(broker.DefaultOptions(), nil, nil)
	n, _ := newTestNode(t, Options{Workers: 2, DisconnectMode: DisconnectAlways}, Deps{Broker: b, RPC: strictRPC{t}})
	p := pusher.New(pusher.Options{AppKey: pKey, Secret: pSecret, Presence: b})
	s, c := pusherConnect(t, n, p)
	pusherSubscribe(s, "news", "", "")
	pusherSubscribe(s, "private-a", pusherAuth(s.ID(), "private-a"), "")
	pusherSubscribe(s, "private-b", "forged:00", "")
	cd := `{"user_id":"u"}`
	pusherSubscribe(s, "presence-r", pusherAuth(s.ID(), "presence-r", cd), cd)
	send(s, `{"event":"pusher:unsubscribe","data":{"channel":"news"}}`)
	send(s, `{"event":"client-x","channel":"private-a","data":{}}`)
	waitFor(t, "subscriptions decided", func() bool {
		return c.count(`{"event":"pusher_internal:subscription_succeeded"`) == 3 && c.count(`{"event":"pusher:subscription_error"`) == 1
	})
	s.conn.Close(1000, "")
	waitFor(t, "session gone", func() bool { return n.Stats().Clients.Load() == 0 })
	// The node's shutdown (test cleanup) flushes any queued Disconnect call.
}

// A Pusher member is in the presence set before its subscription_succeeded
// goes out: a client that has it is listed by every subscriber after it,
// on any node (the broker is what other nodes read).
func TestPusherJoinsBeforeConfirming(t *testing.T) {
	b := memory.New(broker.DefaultOptions(), nil, nil)
	p := pusher.New(pusher.Options{AppKey: pKey, Secret: pSecret, Presence: b})
	n, _ := newTestNode(t, Options{Workers: 4}, Deps{Broker: b})
	const room = "presence-hall"
	listed := make(chan bool, 1)
	c := &fakeConn{onWrite: func(payload string) {
		if strings.HasPrefix(payload, `{"event":"pusher_internal:subscription_succeeded"`) {
			info, err := b.PresenceInfo(context.Background(), room)
			listed <- err == nil && info != nil && info.Total == 1 && info.Records[0].ID == "u"
		}
	}}
	s := n.NewSession(c, p, &frames.Request{URI: "/app/" + pKey + "?protocol=7", Host: "localhost"})
	c.mu.Lock()
	c.recv = s
	c.mu.Unlock()
	waitFor(t, "connection_established", func() bool { _, ok := c.find(`{"event":"pusher:connection_established"`); return ok })
	d := `{"user_id":"u"}`
	pusherSubscribe(s, room, pusherAuth(s.ID(), room, d), d)
	select {
	case ok := <-listed:
		if !ok {
			t.Fatal("subscription_succeeded went out before the member was in the presence set")
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no subscription_succeeded")
	}
}
