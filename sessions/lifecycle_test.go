package sessions

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/broker/store/memory"
	"github.com/densecable/densecable/fanout"
	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/rpcclient/rpcpb"
	"github.com/densecable/densecable/sessions/actioncable"
)

// appRPC is a fake RPC application with one channel: subscribing streams
// "room", perform echoes the data as a transmission. It records calls.
type appRPC struct {
	mu          sync.Mutex
	commands    []string // command:identifier
	disconnects []*rpcpb.DisconnectRequest
}

func (r *appRPC) Connect(context.Context, string, *rpcpb.ConnectionRequest) (*rpcpb.ConnectionResponse, error) {
	return &rpcpb.ConnectionResponse{Status: rpcpb.Status_SUCCESS, Identifiers: `{"user":"u1"}`,
		Transmissions: []string{`{"type":"welcome"}`}}, nil
}

func (r *appRPC) Command(_ context.Context, _ string, m *rpcpb.CommandMessage) (*rpcpb.CommandResponse, error) {
	r.mu.Lock()
	r.commands = append(r.commands, m.GetCommand()+":"+m.GetIdentifier())
	r.mu.Unlock()
	confirm := `{"identifier":` + quote(m.GetIdentifier()) + `,"type":"confirm_subscription"}`
	switch m.GetCommand() {
	case "subscribe":
		return &rpcpb.CommandResponse{Status: rpcpb.Status_SUCCESS, Streams: []string{"room"},
			Transmissions: []string{confirm}, Env: &rpcpb.EnvResponse{Istate: map[string]string{"k": "v"}}}, nil
	case "message":
		return &rpcpb.CommandResponse{Status: rpcpb.Status_SUCCESS,
			Transmissions: []string{`{"identifier":` + quote(m.GetIdentifier()) + `,"message":` + m.GetData() + `}`}}, nil
	}
	return &rpcpb.CommandResponse{Status: rpcpb.Status_SUCCESS}, nil
}

func (r *appRPC) Disconnect(_ context.Context, _ string, req *rpcpb.DisconnectRequest) (*rpcpb.DisconnectResponse, error) {
	r.mu.Lock()
	r.disconnects = append(r.disconnects, req)
	r.mu.Unlock()
	return &rpcpb.DisconnectResponse{Status: rpcpb.Status_SUCCESS}, nil
}

func (r *appRPC) disconnectCalls() []*rpcpb.DisconnectRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*rpcpb.DisconnectRequest(nil), r.disconnects...)
}

func quote(s string) string {
	b := []byte{'"'}
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b = append(b, '\\')
		}
		b = append(b, s[i])
	}
	return string(append(b, '"'))
}

func send(s *Session, msg string) { s.OnMessage(ws.OpText, []byte(msg)) }

const roomID = `{"channel":"RoomChannel"}`

// One client's whole life through the two seams (fake transport, fake
// RPC): connect, subscribe, a broadcast, perform, unsubscribe, disconnect.
func TestLifecycleConnectSubscribePerformUnsubscribeDisconnect(t *testing.T) {
	app := &appRPC{}
	n, _ := newTestNode(t, Options{Workers: 2, DisconnectRate: 1000}, Deps{RPC: app})
	s, c := connect(n, "/cable")
	waitFor(t, "connect transmission", func() bool { _, ok := c.find(`{"type":"welcome"}`); return ok })

	send(s, `{"command":"subscribe","identifier":`+quote(roomID)+`}`)
	waitFor(t, "confirmation", func() bool {
		_, ok := c.find(`{"identifier":` + quote(roomID) + `,"type":"confirm_subscription"}`)
		return ok
	})
	waitFor(t, "stream subscribed", func() bool { return n.hub.StreamsCount() == 1 })

	n.pub.HandleBroadcast(&broker.Publication{Stream: "room", Data: `{"text":"hi"}`})
	waitFor(t, "broadcast", func() bool {
		_, ok := c.find(`{"identifier":` + quote(roomID) + `,"message":{"text":"hi"}}`)
		return ok
	})

	send(s, `{"command":"message","identifier":`+quote(roomID)+`,"data":"{\"action\":\"echo\"}"}`)
	waitFor(t, "perform result", func() bool {
		_, ok := c.find(`{"identifier":` + quote(roomID) + `,"message":{"action":"echo"}}`)
		return ok
	})

	send(s, `{"command":"unsubscribe","identifier":`+quote(roomID)+`}`)
	waitFor(t, "stream released", func() bool { return n.hub.StreamsCount() == 0 })

	c.Close(frames.CloseNormal, "")
	waitFor(t, "Disconnect call", func() bool { return len(app.disconnectCalls()) == 1 })
	d := app.disconnectCalls()[0]
	if d.GetIdentifiers() != `{"user":"u1"}` || len(d.GetSubscriptions()) != 0 {
		t.Fatalf("Disconnect call: identifiers %q subscriptions %v", d.GetIdentifiers(), d.GetSubscriptions())
	}
	app.mu.Lock()
	got := append([]string(nil), app.commands...)
	app.mu.Unlock()
	want := []string{"subscribe:" + roomID, "message:" + roomID, "unsubscribe:" + roomID}
	if len(got) != len(want) {
		t.Fatalf("RPC commands %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("RPC commands %v, want %v", got, want)
		}
	}
}

// A session of the extended protocol is restored on a new connection
// without a Connect call: identifiers, subscriptions and streams come back.
func TestLifecycleRestore(t *testing.T) {
	b := memory.New(broker.Options{SessionsTTL: 300, HistoryLimit: 10, HistoryTTL: 60, PresenceTTL: 15}, nil, nil)
	app := &appRPC{}
	n, _ := newTestNode(t, Options{Workers: 2, SessionsTTL: 300, DisconnectMode: DisconnectNever}, Deps{RPC: app, Broker: b})
	ext, _ := actioncable.For("actioncable-v1-ext-json")
	s, c := connectWith(n, ext, "/cable")
	waitFor(t, "connect transmission", func() bool { _, ok := c.find(`{"type":"welcome"}`); return ok })
	sid := s.logSID()
	send(s, `{"command":"subscribe","identifier":`+quote(roomID)+`}`)
	waitFor(t, "confirmation", func() bool { _, ok := c.find(`{"identifier":`); return ok })
	c.Close(frames.CloseNormal, "")
	waitFor(t, "stream released", func() bool { return n.hub.StreamsCount() == 0 })

	_, c2 := connectWith(n, ext, "/cable?sid="+sid)
	waitFor(t, "restored welcome", func() bool {
		_, ok := c2.find(`{"type":"welcome","sid":`)
		return ok
	})
	w, _ := c2.find(`{"type":"welcome"`)
	if want := `"restored":true,"restored_ids":[` + quote(roomID) + `]`; !contains(w.payload, want) {
		t.Fatalf("restored welcome %s, want %s", w.payload, want)
	}
	waitFor(t, "stream joined again", func() bool { return n.hub.StreamsCount() == 1 })
	n.pub.HandleBroadcast(&broker.Publication{Stream: "room", Data: `"back"`})
	waitFor(t, "broadcast after restore", func() bool { _, ok := c2.find(`{"identifier":` + quote(roomID) + `,"message":"back"`); return ok })
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// Pings go out on the protocol's shape, and drain tells every client the
// server restarts and closes it with the protocol's close for it.
func TestLifecyclePingsAndDrain(t *testing.T) {
	// Not newTestNode: this test shuts the node down itself.
	n := NewNode(Options{PingInterval: time.Second, Workers: 2, ShutdownTimeout: 5 * time.Second},
		Deps{Authenticators: []Authenticator{okAuth{}}, Hub: fanout.New(fanout.Options{}, slog.New(&logRecorder{}))}, slog.New(&logRecorder{}))
	_, c := connect(n, "/cable")
	welcomed(t, c)
	waitFor(t, "ping", func() bool { _, ok := c.find(`{"type":"ping","message":`); return ok })

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n.Shutdown(ctx)
	if _, ok := c.find(`{"type":"disconnect","reason":"server_restart","reconnect":true}`); !ok {
		t.Fatalf("no server_restart disconnect: %v", c.sent())
	}
	closed, code, reason := c.closeInfo()
	if !closed || code != frames.CloseGoingAway || reason != "Server restart" {
		t.Fatalf("close %v %d %q, want 1001 Server restart", closed, code, reason)
	}
}
