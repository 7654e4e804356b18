package server

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/densecable/densecable/rpcclient/rpcpb"
)

// testApp is a small RPC application over real gRPC: it authenticates
// connections whose URL has ?user=NAME, subscribes ChatChannel to
// "chat_<room>", echoes "echo" actions and records Disconnect calls.
type testApp struct {
	rpcpb.UnimplementedRPCServer
	addr string
	srv  *grpc.Server

	mu          sync.Mutex
	disconnects []*rpcpb.DisconnectRequest
	commands    []*rpcpb.CommandMessage
	sids        []string
}

func startTestApp(t *testing.T) *testApp {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := &testApp{addr: ln.Addr().String(), srv: grpc.NewServer()}
	rpcpb.RegisterRPCServer(a.srv, a)
	go func() { _ = a.srv.Serve(ln) }()
	t.Cleanup(a.srv.Stop)
	return a
}

func (a *testApp) Connect(ctx context.Context, req *rpcpb.ConnectionRequest) (*rpcpb.ConnectionResponse, error) {
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		a.mu.Lock()
		a.sids = append(a.sids, strings.Join(md.Get("sid"), ","))
		a.mu.Unlock()
	}
	url := req.GetEnv().GetUrl()
	i := strings.Index(url, "user=")
	if i < 0 {
		return &rpcpb.ConnectionResponse{Status: rpcpb.Status_FAILURE, Transmissions: []string{`{"type":"disconnect","reason":"unauthorized","reconnect":false}`}}, nil
	}
	user := url[i+5:]
	if j := strings.IndexByte(user, '&'); j >= 0 {
		user = user[:j]
	}
	if user == "boom" {
		return &rpcpb.ConnectionResponse{Status: rpcpb.Status_ERROR, ErrorMsg: "boom"}, nil
	}
	ids, _ := json.Marshal(map[string]string{"user": user})
	return &rpcpb.ConnectionResponse{
		Status:        rpcpb.Status_SUCCESS,
		Identifiers:   string(ids),
		Transmissions: []string{`{"type":"welcome"}`},
		Env:           &rpcpb.EnvResponse{Cstate: map[string]string{"user": user}},
	}, nil
}

func (a *testApp) Command(_ context.Context, m *rpcpb.CommandMessage) (*rpcpb.CommandResponse, error) {
	a.mu.Lock()
	a.commands = append(a.commands, m)
	a.mu.Unlock()
	var id struct {
		Channel string `json:"channel"`
		Room    string `json:"room"`
	}
	_ = json.Unmarshal([]byte(m.Identifier), &id)
	confirm := func(typ string) string {
		b, _ := json.Marshal(struct {
			Type       string `json:"type"`
			Identifier string `json:"identifier"`
		}{typ, m.Identifier})
		return string(b)
	}
	switch m.Command {
	case "subscribe":
		if id.Channel != "ChatChannel" {
			return &rpcpb.CommandResponse{Status: rpcpb.Status_FAILURE, Transmissions: []string{confirm("reject_subscription")}}, nil
		}
		return &rpcpb.CommandResponse{
			Status:        rpcpb.Status_SUCCESS,
			Streams:       []string{"chat_" + id.Room},
			Transmissions: []string{confirm("confirm_subscription")},
			Env:           &rpcpb.EnvResponse{Istate: map[string]string{"room": id.Room, "$w": "chat_" + id.Room}},
		}, nil
	case "unsubscribe":
		return &rpcpb.CommandResponse{Status: rpcpb.Status_SUCCESS}, nil
	case "message":
		var data map[string]any
		_ = json.Unmarshal([]byte(m.Data), &data)
		switch data["action"] {
		case "echo":
			b, _ := json.Marshal(map[string]any{"identifier": m.Identifier, "message": data})
			return &rpcpb.CommandResponse{Status: rpcpb.Status_SUCCESS, Transmissions: []string{string(b)}}, nil
		case "sleep":
			// A slow application action is what the callers test (the
			// server keeps serving while an RPC call blocks), not a wait.
			time.Sleep(2 * time.Second)
			return &rpcpb.CommandResponse{Status: rpcpb.Status_SUCCESS}, nil
		case "kick":
			return &rpcpb.CommandResponse{Status: rpcpb.Status_SUCCESS, Disconnect: true}, nil
		case "state":
			// Reports the states the server sent with this call.
			b, _ := json.Marshal(map[string]any{"identifier": m.Identifier, "message": map[string]any{
				"cstate": m.GetEnv().GetCstate(), "istate": m.GetEnv().GetIstate()}})
			return &rpcpb.CommandResponse{Status: rpcpb.Status_SUCCESS, Transmissions: []string{string(b)}}, nil
		}
		return &rpcpb.CommandResponse{Status: rpcpb.Status_ERROR, ErrorMsg: "unknown action"}, nil
	}
	return &rpcpb.CommandResponse{Status: rpcpb.Status_ERROR}, nil
}

func (a *testApp) Disconnect(_ context.Context, r *rpcpb.DisconnectRequest) (*rpcpb.DisconnectResponse, error) {
	a.mu.Lock()
	a.disconnects = append(a.disconnects, r)
	a.mu.Unlock()
	return &rpcpb.DisconnectResponse{Status: rpcpb.Status_SUCCESS}, nil
}

func (a *testApp) disconnectCalls() []*rpcpb.DisconnectRequest {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]*rpcpb.DisconnectRequest(nil), a.disconnects...)
}
