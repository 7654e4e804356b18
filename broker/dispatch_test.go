package broker_test

import (
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/broker/brokertest"
)

func TestDispatchCountsAndDelivers(t *testing.T) {
	rec := brokertest.NewRecorder()
	stats := &broker.Stats{}
	d := broker.Dispatcher{Handler: rec, Stats: stats, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}

	if err := d.Dispatch([]byte(`[{"stream":"a","data":"1"},{"stream":"b","data":"2"}]`)); err != nil {
		t.Fatal(err)
	}
	if err := d.Dispatch([]byte(`{"command":"disconnect","payload":{"identifier":"u1","reconnect":true}}`)); err != nil {
		t.Fatal(err)
	}
	err := d.Dispatch([]byte(`{"stream":`))
	if !broker.IsMalformed(err) {
		t.Fatalf("malformed payload: err = %v", err)
	}

	pubs := rec.Publications()
	if len(pubs) != 2 || pubs[0].Stream != "a" || pubs[1].Data != "2" {
		t.Fatalf("publications = %+v", pubs)
	}
	if cmds := rec.Commands(); len(cmds) != 1 || cmds[0] != (broker.RemoteCommand{Command: "disconnect", Identifier: "u1", Reconnect: true}) {
		t.Fatalf("commands = %+v", cmds)
	}
	if got := [4]uint64{stats.Publications.Load(), stats.BroadcastMsg.Load(), stats.RemoteCommands.Load(), stats.FailedBroadcast.Load()}; got != [4]uint64{3, 0, 1, 1} {
		t.Fatalf("stats publications/broadcast/commands/failed = %v", got)
	}
}

func TestDispatchFanoutCounter(t *testing.T) {
	stats := &broker.Stats{}
	d := broker.Dispatcher{Handler: brokertest.NewRecorder(), Stats: stats, Fanout: true}
	if err := d.Dispatch([]byte(`{"stream":"a","data":"1"}`)); err != nil {
		t.Fatal(err)
	}
	if stats.BroadcastMsg.Load() != 1 || stats.Publications.Load() != 0 {
		t.Fatalf("fan-out publication counted as broadcast=%d publications=%d", stats.BroadcastMsg.Load(), stats.Publications.Load())
	}
}

func TestDispatchHandlerFailure(t *testing.T) {
	rec := brokertest.NewRecorder()
	boom := errors.New("history unavailable")
	rec.SetFail(boom)
	d := broker.Dispatcher{Handler: rec}
	err := d.Dispatch([]byte(`{"stream":"a","data":"1"}`))
	if !errors.Is(err, boom) || broker.IsMalformed(err) {
		t.Fatalf("err = %v, want the handler's error", err)
	}
	if n := len(rec.Publications()); n != 0 {
		t.Fatalf("failed publication recorded %d times", n)
	}
}
