package pubsub

import (
	"context"
	"testing"
	"time"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/broker/brokertest"
	"github.com/densecable/densecable/broker/testservers"
)

// node is a pub/sub under test with a way to know its subscription is live.
type node interface {
	broker.PubSub
	subscribed(stream string) bool
}

const waitFor = 10 * time.Second

// startNode starts n with a fresh recorder and stops it at the end of the
// test.
func startNode(t *testing.T, n node) *brokertest.Recorder {
	t.Helper()
	rec := brokertest.NewRecorder()
	// No deadline, as the server starts it.
	if err := n.Start(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		if err := n.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	return rec
}

// eventually waits for cond, failing the test with what after waitFor.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func subscribe(t *testing.T, n node, streams ...string) {
	t.Helper()
	for _, s := range streams {
		n.Subscribe(s)
	}
	eventually(t, "subscriptions", func() bool {
		for _, s := range streams {
			if !n.subscribed(s) {
				return false
			}
		}
		return true
	})
}

func publish(t *testing.T, n node, stream, data string, offset uint64) broker.Publication {
	t.Helper()
	p := broker.Publication{Stream: stream, Data: data, Epoch: "ep", Offset: offset,
		Meta: broker.Meta{ExcludeSocket: "sid-1", BroadcastType: "custom"}}
	if err := n.Broadcast(context.Background(), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// testTwoNodes runs the node-to-node contract on two nodes sharing one
// server. Deliveries are ordered per publisher, so a later publication that
// arrives proves an earlier one that should not have come never will.
func testTwoNodes(t *testing.T, newNode func(t *testing.T) node) {
	a, b := newNode(t), newNode(t)
	recA, recB := startNode(t, a), startNode(t, b)
	hot, cold, fence := testservers.UniqueName("hot"), testservers.UniqueName("cold"), testservers.UniqueName("fence")
	subscribe(t, b, hot, fence)

	// Only the subscribed node gets a stream's publications, with every
	// field intact; the publisher itself is not subscribed.
	publish(t, a, cold, "nobody listens", 0)
	var want []broker.Publication
	for i := 1; i <= 20; i++ {
		want = append(want, publish(t, a, hot, `{"n":`+string(rune('0'+i%10))+`}`, uint64(i)))
	}
	want = append(want, publish(t, a, fence, "fence", 0))
	got := recB.WaitPublications(t, len(want), waitFor)
	if len(got) != len(want) {
		t.Fatalf("B got %d publications, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("B publication %d = %+v, want %+v", i, got[i], want[i])
		}
	}

	// Remote commands reach every node, the sender included.
	cmd := broker.RemoteCommand{Command: "disconnect", Identifier: `{"user":"42"}`, Reconnect: true}
	if err := b.BroadcastCommand(context.Background(), &cmd); err != nil {
		t.Fatal(err)
	}
	for name, rec := range map[string]*brokertest.Recorder{"A": recA, "B": recB} {
		if got := rec.WaitCommands(t, 1, waitFor); got[0] != cmd {
			t.Fatalf("%s got command %+v", name, got[0])
		}
	}
	if n := len(recA.Publications()); n != 0 {
		t.Fatalf("A (no subscriptions) got %d publications", n)
	}

	// After Unsubscribe nothing more arrives for the stream.
	b.Unsubscribe(hot)
	eventually(t, "unsubscription", func() bool { return !b.subscribed(hot) })
	publish(t, a, hot, "too late", 21)
	last := publish(t, a, fence, "fence 2", 0)
	got = recB.WaitPublications(t, len(want)+1, waitFor)
	if len(got) != len(want)+1 || got[len(got)-1] != last {
		t.Fatalf("after unsubscribe B got %+v", got[len(want):])
	}

	// A node delivers its own broadcasts once it subscribes.
	subscribe(t, a, hot)
	mine := publish(t, a, hot, "to myself", 22)
	if got := recA.WaitPublications(t, 1, waitFor); got[0] != mine {
		t.Fatalf("A got %+v", got[0])
	}
}

// testRestart checks a node resubscribes by itself after its server comes
// back; srv is the node's own throwaway server.
func testRestart(t *testing.T, srv *testservers.Server, a, b node) {
	recA, recB := startNode(t, a), startNode(t, b)
	stream := testservers.UniqueName("restart")
	subscribe(t, b, stream)
	first := publish(t, a, stream, "before", 1)
	recB.WaitPublications(t, 1, waitFor)

	srv.Restart()
	// Publications sent while subscriptions are being restored may be
	// lost (pub/sub keeps nothing); keep publishing until one arrives.
	var after broker.Publication
	eventually(t, "delivery after the restart", func() bool {
		after = broker.Publication{Stream: stream, Data: "after", Epoch: "ep", Offset: 2}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = a.Broadcast(ctx, &after)
		time.Sleep(20 * time.Millisecond)
		return len(recB.Publications()) > 1
	})
	got := recB.Publications()
	if got[0] != first || got[len(got)-1] != after {
		t.Fatalf("B got %+v", got)
	}
	// A resubscribes on its own schedule: commands sent before are lost.
	cmd := broker.RemoteCommand{Command: "disconnect", Identifier: "x"}
	eventually(t, "a command after the restart", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = b.BroadcastCommand(ctx, &cmd)
		time.Sleep(20 * time.Millisecond)
		return len(recA.Commands()) > 0
	})
	if got := recA.Commands()[0]; got != cmd {
		t.Fatalf("A got %+v", got)
	}
}
