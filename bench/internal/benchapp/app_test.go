package benchapp

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"regexp"
	"sync"
	"testing"

	"github.com/densecable/densecable/rpcclient/rpcpb"
)

type published struct{ stream, data string }

type fakePublisher struct {
	mu   sync.Mutex
	got  []published
	fail error
}

func (f *fakePublisher) Publish(_ context.Context, stream, data string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	f.got = append(f.got, published{stream, data})
	return nil
}

func newTestApp() (*App, *fakePublisher) {
	pub := &fakePublisher{}
	return New(pub, slog.New(slog.NewTextHandler(io.Discard, nil))), pub
}

func cmd(command, identifier, data string) *rpcpb.CommandMessage {
	return &rpcpb.CommandMessage{Command: command, Identifier: identifier, Data: data, ConnectionIdentifiers: `{"id":"x"}`}
}

func TestConnectGivesRandomIDAndWelcome(t *testing.T) {
	app, _ := newTestApp()
	re := regexp.MustCompile(`^\{"id":"[0-9a-f]{16}"\}$`)
	a := app.Connect(context.Background(), &rpcpb.ConnectionRequest{})
	b := app.Connect(context.Background(), &rpcpb.ConnectionRequest{})
	if a.Status != rpcpb.Status_SUCCESS || !re.MatchString(a.Identifiers) || a.Identifiers == b.Identifiers {
		t.Fatalf("connect: %v / %v", a, b)
	}
	if len(a.Transmissions) != 1 || a.Transmissions[0] != `{"type":"welcome"}` {
		t.Fatalf("transmissions %q", a.Transmissions)
	}
	if d := app.Disconnect(context.Background(), &rpcpb.DisconnectRequest{}); d.Status != rpcpb.Status_SUCCESS {
		t.Fatal("disconnect must succeed")
	}
}

func TestSubscribeStreams(t *testing.T) {
	app, _ := newTestApp()
	cases := map[string]string{
		`{"channel":"BenchmarkChannel"}`:                      "all",
		`{"channel":"BenchmarkChannel","id":5}`:               "all5",
		`{"channel":"BenchmarkChannel","id":"b"}`:             "allb",
		`{"channel":"ChatChannel","room":"42"}`:               "ChatChannel:42",
		`{"channel":"ChatChannel","room":7,"stream":"lobby"}`: "lobby",
		`{"channel":"ChatChannel"}`:                           "ChatChannel",
	}
	for id, stream := range cases {
		for range 2 { // second time from the cache
			r := app.Command(context.Background(), cmd("subscribe", id, ""))
			if r.Status != rpcpb.Status_SUCCESS || len(r.Streams) != 1 || r.Streams[0] != stream {
				t.Fatalf("%s: %v", id, r)
			}
			var confirm struct{ Type, Identifier string }
			if len(r.Transmissions) != 1 || json.Unmarshal([]byte(r.Transmissions[0]), &confirm) != nil ||
				confirm.Type != "confirm_subscription" || confirm.Identifier != id {
				t.Fatalf("%s: confirm %q", id, r.Transmissions)
			}
		}
	}
	r := app.Command(context.Background(), cmd("subscribe", `{"no":"channel"}`, ""))
	if r.Status != rpcpb.Status_FAILURE || len(r.Transmissions) != 1 ||
		r.Transmissions[0] != `{"type":"reject_subscription","identifier":"{\"no\":\"channel\"}"}` {
		t.Fatalf("bad identifier: %v", r)
	}
	if r := app.Command(context.Background(), cmd("unsubscribe", `{"channel":"BenchmarkChannel"}`, "")); r.Status != rpcpb.Status_SUCCESS || !r.StopStreams {
		t.Fatalf("unsubscribe: %v", r)
	}
	if r := app.Command(context.Background(), cmd("bogus", `{"channel":"BenchmarkChannel"}`, "")); r.Status != rpcpb.Status_ERROR {
		t.Fatalf("unknown command: %v", r)
	}
}

const benchID = `{"channel":"BenchmarkChannel"}`

func TestEchoTransmitsDataBack(t *testing.T) {
	app, pub := newTestApp()
	data := `{"action":"echo","payload":{"sendTime":"123","padding":"<x>"}}`
	r := app.Command(context.Background(), cmd("message", benchID, data))
	want := `{"identifier":"{\"channel\":\"BenchmarkChannel\"}","message":` + data + `}`
	if r.Status != rpcpb.Status_SUCCESS || len(r.Transmissions) != 1 || r.Transmissions[0] != want {
		t.Fatalf("echo: %v", r)
	}
	if len(pub.got) != 0 {
		t.Fatal("echo must not broadcast")
	}
}

func TestBroadcastPublishesAndReportsResult(t *testing.T) {
	app, pub := newTestApp()
	data := `{"action":"broadcast","payload":{"sendTime":"123"}}`
	r := app.Command(context.Background(), cmd("message", `{"channel":"BenchmarkChannel","id":3}`, data))
	if r.Status != rpcpb.Status_SUCCESS || len(pub.got) != 1 || pub.got[0] != (published{"all3", data}) {
		t.Fatalf("broadcast: %v, published %v", r, pub.got)
	}
	var msg struct {
		Identifier string
		Message    struct {
			Action  string
			Payload struct{ SendTime string }
		}
	}
	if len(r.Transmissions) != 1 || json.Unmarshal([]byte(r.Transmissions[0]), &msg) != nil {
		t.Fatalf("transmissions %q", r.Transmissions)
	}
	if msg.Message.Action != "broadcastResult" || msg.Message.Payload.SendTime != "123" || msg.Identifier != `{"channel":"BenchmarkChannel","id":3}` {
		t.Fatalf("result %+v", msg)
	}

	pub.fail = errors.New("down")
	if r := app.Command(context.Background(), cmd("message", benchID, data)); r.Status != rpcpb.Status_ERROR {
		t.Fatalf("failed publish must be an error: %v", r)
	}
}

func TestBadPerforms(t *testing.T) {
	app, _ := newTestApp()
	for _, data := range []string{`not json`, `{"payload":1}`, `{"action":"dance"}`} {
		if r := app.Command(context.Background(), cmd("message", benchID, data)); r.Status != rpcpb.Status_ERROR || r.ErrorMsg == "" {
			t.Errorf("%s: %v", data, r)
		}
	}
	if r := app.Command(context.Background(), cmd("message", `nope`, `{"action":"echo"}`)); r.Status != rpcpb.Status_ERROR {
		t.Errorf("bad identifier: %v", r)
	}
}

func TestDemoChannelBroadcastsAnyAction(t *testing.T) {
	app, pub := newTestApp()
	id := `{"channel":"ChatChannel","room":"lobby"}`
	data := `{"action":"speak","message":"hi"}`
	r := app.Command(context.Background(), cmd("message", id, data))
	if r.Status != rpcpb.Status_SUCCESS || len(r.Transmissions) != 0 || len(pub.got) != 1 || pub.got[0] != (published{"ChatChannel:lobby", data}) {
		t.Fatalf("speak: %v %v", r, pub.got)
	}
	r = app.Command(context.Background(), cmd("message", id, `{"action":"echo","x":1}`))
	if len(r.Transmissions) != 1 || len(pub.got) != 1 {
		t.Fatalf("demo echo: %v", r)
	}
}

func TestWithActionKeepsOtherMembers(t *testing.T) {
	out, err := withAction(`{"action":"broadcast","payload":{"a":[1,2]},"z":null}`, "broadcastResult")
	if err != nil || out != `{"action":"broadcastResult","payload":{"a":[1,2]},"z":null}` {
		t.Fatalf("%s %v", out, err)
	}
}

func FuzzCommand(f *testing.F) {
	f.Add("message", benchID, `{"action":"broadcast","payload":{"sendTime":"1"}}`)
	f.Add("subscribe", `{"channel":"X","room":{"a":1}}`, "")
	f.Add("message", `{"channel":"BenchmarkChannel","id":null}`, `{"action":7}`)
	f.Fuzz(func(t *testing.T, command, identifier, data string) {
		app, _ := newTestApp()
		r := app.Command(context.Background(), cmd(command, identifier, data))
		if r == nil {
			t.Fatal("nil response")
		}
		for _, tr := range r.Transmissions {
			if !json.Valid([]byte(tr)) {
				t.Fatalf("invalid JSON transmission %q", tr)
			}
		}
	})
}
