package pubsub

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/densecable/densecable/broker"
	natsconn "github.com/densecable/densecable/broker/conn/nats"
	"github.com/densecable/densecable/broker/testservers"
)

func newNATSConn(t *testing.T, url string) *nats.Conn {
	t.Helper()
	nc, err := natsconn.Connect(natsconn.NATSOptions{Servers: url, ReconnectWait: 50 * time.Millisecond}, "pubsub test", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

func TestNATSTwoNodes(t *testing.T) {
	testservers.RequireShared(t, testservers.SharedNATSAddr, "NATS")
	channel := testservers.UniqueName("internal")
	testTwoNodes(t, func(t *testing.T) node {
		return NewNATS(newNATSConn(t, "nats://"+testservers.SharedNATSAddr), channel, nil)
	})
}

// Streams that are not plain subjects still travel, and a stream named like
// the internal subject does not make commands run twice.
func TestNATSOddStreamNames(t *testing.T) {
	testservers.RequireShared(t, testservers.SharedNATSAddr, "NATS")
	url := "nats://" + testservers.SharedNATSAddr
	channel := testservers.UniqueName("internal")
	a, b := NewNATS(newNATSConn(t, url), channel, nil), NewNATS(newNATSConn(t, url), channel, nil)
	startNode(t, a)
	recB := startNode(t, b)
	odd := testservers.UniqueName("chat room *") + " $JS.API"
	subscribe(t, b, odd)
	b.Subscribe(channel)
	p := publish(t, a, odd, "spaces", 1)
	if got := recB.WaitPublications(t, 1, waitFor); got[0] != p {
		t.Fatalf("got %+v", got[0])
	}
	cmd := broker.RemoteCommand{Command: "disconnect", Identifier: "u"}
	if err := a.BroadcastCommand(context.Background(), &cmd); err != nil {
		t.Fatal(err)
	}
	recB.WaitCommands(t, 1, waitFor)
	fence := publish(t, a, odd, "fence", 2)
	if got := recB.WaitPublications(t, 2, waitFor); got[1] != fence {
		t.Fatalf("got %+v", got)
	}
	if n := len(recB.Commands()); n != 1 {
		t.Fatalf("the command ran %d times", n)
	}
}

func TestNATSResubscribesAfterRestart(t *testing.T) {
	srv := testservers.StartNATS(t)
	a := NewNATS(newNATSConn(t, srv.NATSURL()), "", nil)
	b := NewNATS(newNATSConn(t, srv.NATSURL()), "", nil)
	testRestart(t, srv, a, b)
}
