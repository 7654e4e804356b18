package pubsub

import (
	"context"
	"testing"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/broker/brokertest"
)

func TestLocalDeliversToItsHandler(t *testing.T) {
	ctx := context.Background()
	l := NewLocal()
	p := broker.Publication{Stream: "s", Data: "before start"}
	if err := l.Broadcast(ctx, &p); err != nil {
		t.Fatal(err)
	}
	rec := brokertest.NewRecorder()
	if err := l.Start(ctx, rec); err != nil {
		t.Fatal(err)
	}
	l.Subscribe("s")
	p = broker.Publication{Stream: "s", Data: "x", Epoch: "e", Offset: 3}
	if err := l.Broadcast(ctx, &p); err != nil {
		t.Fatal(err)
	}
	c := broker.RemoteCommand{Command: "disconnect", Identifier: "u1"}
	if err := l.BroadcastCommand(ctx, &c); err != nil {
		t.Fatal(err)
	}
	if got := rec.Publications(); len(got) != 1 || got[0] != p {
		t.Fatalf("publications = %+v", got)
	}
	if got := rec.Commands(); len(got) != 1 || got[0] != c {
		t.Fatalf("commands = %+v", got)
	}
	if err := l.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	_ = l.Broadcast(ctx, &p)
	if n := len(rec.Publications()); n != 1 {
		t.Fatalf("delivered after shutdown: %d publications", n)
	}
}
