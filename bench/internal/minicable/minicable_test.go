package minicable

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
	"google.golang.org/protobuf/proto"

	"github.com/densecable/densecable/encoders/acpb"
	"github.com/densecable/densecable/rpcclient/rpcpb"
)

type nopRPC struct{}

func (nopRPC) Connect(context.Context, *rpcpb.ConnectionRequest) *rpcpb.ConnectionResponse {
	return &rpcpb.ConnectionResponse{Status: rpcpb.Status_SUCCESS}
}
func (nopRPC) Command(context.Context, *rpcpb.CommandMessage) *rpcpb.CommandResponse {
	return &rpcpb.CommandResponse{Status: rpcpb.Status_SUCCESS}
}
func (nopRPC) Disconnect(context.Context, *rpcpb.DisconnectRequest) *rpcpb.DisconnectResponse {
	return &rpcpb.DisconnectResponse{Status: rpcpb.Status_SUCCESS}
}

func TestCodecsRoundTripCommands(t *testing.T) {
	want := command{Command: "message", Identifier: `{"channel":"X"}`, Data: `{"action":"a"}`}
	mp, _ := msgpack.Marshal(want)
	pb, _ := proto.Marshal(&acpb.Message{Command: acpb.Command_message, Identifier: want.Identifier, Data: want.Data})
	for name, in := range map[string][]byte{
		"actioncable-v1-json":     []byte(`{"command":"message","identifier":"{\"channel\":\"X\"}","data":"{\"action\":\"a\"}"}`),
		"actioncable-v1-msgpack":  mp,
		"actioncable-v1-protobuf": pb,
	} {
		got, err := codecs[name].decode(in)
		if err != nil || got != want {
			t.Errorf("%s: %+v %v", name, got, err)
		}
		if _, err := codecs[name].decode([]byte{0xff, 0x00}); err == nil {
			t.Errorf("%s: garbage decoded", name)
		}
	}
	out, _, err := codecs["actioncable-v1-protobuf"].encode(map[string]any{"type": "confirm_subscription", "identifier": "i"})
	var m acpb.Message
	if err != nil || proto.Unmarshal(out, &m) != nil || m.Type != acpb.Type_confirm_subscription || m.Identifier != "i" {
		t.Fatalf("protobuf encode: %v %v", &m, err)
	}
}

func TestBroadcastEndpointAcceptsSingleBatchAndGarbage(t *testing.T) {
	srv := New(nopRPC{}, 0, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	defer srv.Close()
	for _, body := range []string{`{"stream":"s","data":"1"}`, `[{"stream":"s","data":"1"},{"stream":"t","data":"x"}]`, `{nope`} {
		resp, err := http.Post(ts.URL+"/_broadcast", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("%s: status %d", body, resp.StatusCode)
		}
	}
}
