package natsbroadcast

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/broker/brokertest"
	natsconn "github.com/densecable/densecable/broker/conn/nats"
	"github.com/densecable/densecable/broker/testservers"
)

const waitFor = 10 * time.Second

func start(t *testing.T, opts Options, stats *broker.Stats) (*Broadcaster, *brokertest.Recorder, *brokertest.Logs) {
	t.Helper()
	logger, logs := brokertest.NewLogger()
	b := New(opts, stats, logger)
	rec := brokertest.NewRecorder()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := b.Start(ctx, rec); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		if err := b.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return b, rec, logs
}

func publisher(t *testing.T, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url, nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

func publish(t *testing.T, nc *nats.Conn, subject, msg string) {
	t.Helper()
	if err := nc.Publish(subject, []byte(msg)); err != nil {
		t.Fatalf("publish: %v", err)
	}
}

func TestReceivesPublicationsAndCommands(t *testing.T) {
	testservers.RequireShared(t, testservers.SharedNATSAddr, "NATS")
	url := "nats://" + testservers.SharedNATSAddr
	subject := testservers.UniqueName("natsbroadcast")
	stats := &broker.Stats{}
	b, rec, _ := start(t, Options{NATS: natsconn.NATSOptions{Servers: url}, Channel: subject}, stats)
	if !b.IsFanout() {
		t.Fatal("nats broadcaster must be fan-out")
	}
	pub := publisher(t, url)
	publish(t, pub, subject+".other", `{"stream":"elsewhere","data":"x"}`)
	publish(t, pub, subject, `{"stream":"s1","data":"{\"n\":1}","meta":{"broadcast_type":"t"}}`)
	publish(t, pub, subject, `[{"stream":"s2","data":"a"},{"stream":"s3","data":"b"}]`)
	publish(t, pub, subject, `{"stream":`)
	publish(t, pub, subject, `{"command":"disconnect","payload":{"identifier":"u1","reconnect":true}}`)

	pubs := rec.WaitPublications(t, 3, waitFor)
	want := []broker.Publication{
		{Stream: "s1", Data: `{"n":1}`, Meta: broker.Meta{BroadcastType: "t"}},
		{Stream: "s2", Data: "a"},
		{Stream: "s3", Data: "b"},
	}
	for i := range want {
		if pubs[i] != want[i] {
			t.Fatalf("publication %d = %+v, want %+v", i, pubs[i], want[i])
		}
	}
	if cmds := rec.WaitCommands(t, 1, waitFor); cmds[0] != (broker.RemoteCommand{Command: "disconnect", Identifier: "u1", Reconnect: true}) {
		t.Fatalf("command = %+v", cmds[0])
	}
	if len(rec.Publications()) != 3 {
		t.Fatalf("publications = %+v", rec.Publications())
	}
	if stats.BroadcastMsg.Load() != 4 || stats.FailedBroadcast.Load() != 1 {
		t.Fatalf("stats broadcast=%d failed=%d", stats.BroadcastMsg.Load(), stats.FailedBroadcast.Load())
	}
}

// publishUntilReceived republishes (core NATS drops what nobody hears) until
// the recorder holds want publications.
func publishUntilReceived(t *testing.T, pub *nats.Conn, rec *brokertest.Recorder, subject string, want int) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for len(rec.Publications()) < want {
		if time.Now().After(deadline) {
			t.Fatalf("no publication received within %s", waitFor)
		}
		_ = pub.Publish(subject, []byte(`{"stream":"after","data":"2"}`))
		time.Sleep(50 * time.Millisecond)
	}
}

func TestResubscribesAfterNATSRestart(t *testing.T) {
	srv := testservers.StartNATS(t)
	subject := testservers.UniqueName("restart")
	opts := Options{NATS: natsconn.NATSOptions{Servers: srv.NATSURL(), ReconnectWait: 100 * time.Millisecond}, Channel: subject}
	_, rec, logs := start(t, opts, nil)
	pub := publisher(t, srv.NATSURL())
	publish(t, pub, subject, `{"stream":"before","data":"1"}`)
	rec.WaitPublications(t, 1, waitFor)

	srv.Kill()
	brokertest.Eventually(t, "the loss to be seen", waitFor, func() bool { return logs.Count("NATS connection lost") > 0 })
	srv.Start()

	publishUntilReceived(t, pub, rec, subject, 2)
	if n := logs.Count("NATS connection lost"); n != 1 {
		t.Fatalf("'NATS connection lost' logged %d times", n)
	}
	deadline := time.Now().Add(waitFor)
	for logs.Count("Reconnected to NATS") != 1 { // the callback runs asynchronously
		if time.Now().After(deadline) {
			t.Fatalf("'Reconnected to NATS' logged %d times", logs.Count("Reconnected to NATS"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A NATS away for longer than MaxReconnectAttempts worth of back-off makes
// the broadcaster report itself unhealthy (one WARN), not close: it keeps
// retrying at the back-off cap, and receives and reports healthy again
// within that cap of NATS's return.
func TestUnhealthyWhileNATSIsAwayThenRecovers(t *testing.T) {
	srv := testservers.StartNATS(t)
	subject := testservers.UniqueName("unhealthy")
	opts := Options{NATS: natsconn.NATSOptions{Servers: srv.NATSURL(), MaxReconnectAttempts: 2}, Channel: subject}
	b, rec, logs := start(t, opts, nil)
	pub := publisher(t, srv.NATSURL())
	publishUntilReceived(t, pub, rec, subject, 1)
	if !b.Healthy() {
		t.Fatal("unhealthy while subscribed")
	}

	srv.Kill()
	brokertest.Eventually(t, "the broadcaster to report itself unhealthy", 20*time.Second, func() bool { return !b.Healthy() })
	if n := logs.Count("NATS reconnect attempts exceeded, reporting unhealthy and retrying"); n != 1 {
		t.Fatalf("unhealthy logged %d times, want 1", n)
	}
	failed := logs.Count("NATS reconnect round failed")
	brokertest.Eventually(t, "a retry past the limit", 20*time.Second, func() bool { return logs.Count("NATS reconnect round failed") > failed })

	srv.Start()
	back := time.Now()
	publishUntilReceived(t, pub, rec, subject, 2)
	brokertest.Eventually(t, "healthy again", waitFor, b.Healthy)
	if d := time.Since(back); d > 9*time.Second {
		t.Fatalf("took %s to recover after NATS came back", d)
	}
	if n := logs.Count("NATS connection closed"); n != 0 {
		t.Fatal("the connection was closed")
	}
}

func TestStartsWhileNATSIsDown(t *testing.T) {
	srv := testservers.NewNATS(t)
	subject := testservers.UniqueName("late")
	opts := Options{NATS: natsconn.NATSOptions{Servers: srv.NATSURL(), ReconnectWait: 100 * time.Millisecond}, Channel: subject}
	_, rec, logs := start(t, opts, nil)
	if logs.Count("NATS is unavailable, retrying in the background") != 1 {
		t.Fatal("the missing server was not reported")
	}
	srv.Start()
	publishUntilReceived(t, publisher(t, srv.NATSURL()), rec, subject, 1)
}

func TestStartRejectsBadConfig(t *testing.T) {
	b := New(Options{NATS: natsconn.NATSOptions{Servers: "nats://[::1"}}, nil, nil)
	if err := b.Start(context.Background(), brokertest.NewRecorder()); err == nil {
		t.Fatal("Start accepted a malformed server URL")
	}
	b = New(Options{NATS: natsconn.NATSOptions{Servers: "nats://" + testservers.SharedNATSAddr}, Channel: "bad subject"}, nil, nil)
	if err := b.Start(context.Background(), brokertest.NewRecorder()); err == nil {
		t.Fatal("Start accepted an invalid subject")
	}
}
