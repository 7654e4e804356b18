package redisbroadcast

import (
	"context"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/broker/brokertest"
	redisconn "github.com/densecable/densecable/broker/conn/redis"
	"github.com/densecable/densecable/broker/testservers"
)

const waitFor = 10 * time.Second

func publisher(t *testing.T, url string) rueidis.Client {
	t.Helper()
	c, err := redisconn.NewRedisClient(redisconn.RedisOptions{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func publish(t *testing.T, c rueidis.Client, channel, msg string) int64 {
	t.Helper()
	n, err := c.Do(context.Background(), c.B().Publish().Channel(channel).Message(msg).Build()).AsInt64()
	if err != nil {
		t.Fatalf("PUBLISH: %v", err)
	}
	return n
}

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

func TestReceivesPublicationsAndCommands(t *testing.T) {
	testservers.RequireShared(t, testservers.SharedRedisAddr, "Redis")
	url := "redis://" + testservers.SharedRedisAddr
	channel := testservers.UniqueName("redisbroadcast")
	stats := &broker.Stats{}
	b, rec, _ := start(t, Options{Redis: redisconn.RedisOptions{URL: url}, Channel: channel}, stats)
	if !b.IsFanout() {
		t.Fatal("redis broadcaster must be fan-out")
	}

	pub := publisher(t, url)
	if n := publish(t, pub, channel, `{"stream":"s1","data":"{\"n\":1}","meta":{"exclude_socket":"sid"}}`); n != 1 {
		t.Fatalf("PUBLISH reached %d subscribers, want 1 (Start returned before subscribing?)", n)
	}
	publish(t, pub, channel, `not json`)
	publish(t, pub, channel, `[{"stream":"s2","data":"a"},{"stream":"s3","data":"b"}]`)
	publish(t, pub, channel, `{"command":"disconnect","payload":{"identifier":"u1","reconnect":false}}`)

	pubs := rec.WaitPublications(t, 3, waitFor)
	want := []broker.Publication{
		{Stream: "s1", Data: `{"n":1}`, Meta: broker.Meta{ExcludeSocket: "sid"}},
		{Stream: "s2", Data: "a"},
		{Stream: "s3", Data: "b"},
	}
	for i := range want {
		if pubs[i] != want[i] {
			t.Fatalf("publication %d = %+v, want %+v", i, pubs[i], want[i])
		}
	}
	cmds := rec.WaitCommands(t, 1, waitFor)
	if cmds[0] != (broker.RemoteCommand{Command: "disconnect", Identifier: "u1"}) {
		t.Fatalf("command = %+v", cmds[0])
	}
	if stats.BroadcastMsg.Load() != 4 || stats.FailedBroadcast.Load() != 1 || stats.Publications.Load() != 0 {
		t.Fatalf("stats broadcast=%d failed=%d publications=%d", stats.BroadcastMsg.Load(), stats.FailedBroadcast.Load(), stats.Publications.Load())
	}
}

// Another channel's messages are not delivered.
func TestOnlyItsChannel(t *testing.T) {
	testservers.RequireShared(t, testservers.SharedRedisAddr, "Redis")
	url := "redis://" + testservers.SharedRedisAddr
	channel := testservers.UniqueName("redisbroadcast")
	_, rec, _ := start(t, Options{Redis: redisconn.RedisOptions{URL: url}, Channel: channel}, nil)
	pub := publisher(t, url)
	publish(t, pub, channel+"_other", `{"stream":"other","data":"x"}`)
	publish(t, pub, channel, `{"stream":"mine","data":"x"}`)
	pubs := rec.WaitPublications(t, 1, waitFor)
	if len(pubs) != 1 || pubs[0].Stream != "mine" {
		t.Fatalf("publications = %+v", pubs)
	}
}

// The broadcaster survives a Redis restart: it logs the loss once,
// resubscribes by itself and receives again.
func TestResubscribesAfterRedisRestart(t *testing.T) {
	srv := testservers.StartRedis(t)
	channel := testservers.UniqueName("restart")
	_, rec, logs := start(t, Options{Redis: redisconn.RedisOptions{URL: srv.RedisURL()}, Channel: channel}, nil)

	pub := publisher(t, srv.RedisURL())
	publish(t, pub, channel, `{"stream":"before","data":"1"}`)
	rec.WaitPublications(t, 1, waitFor)

	srv.Kill()
	// Stay down for several failed reconnects.
	brokertest.Eventually(t, "two failed reconnects", waitFor, func() bool { return logs.Count("Redis reconnect failed") >= 2 })
	srv.Start()

	publishUntilReceived(t, pub, rec, channel, 2)
	if pubs := rec.Publications(); pubs[1].Stream != "after" {
		t.Fatalf("publications = %+v", pubs)
	}
	if n := logs.Count("Redis connection lost"); n != 1 {
		t.Fatalf("'Redis connection lost' logged %d times, want 1", n)
	}
	if n := logs.Count("Reconnected to Redis"); n != 1 {
		t.Fatalf("'Reconnected to Redis' logged %d times, want 1", n)
	}
	// Backoff from 1 s: a handful of attempts, not a spin.
	if n := logs.Count("Redis reconnect failed"); n > 5 {
		t.Fatalf("%d failed reconnects for two wanted", n)
	}
}

// Start does not block on a Redis that is down; the broadcaster connects
// when it comes up.
func TestStartsWhileRedisIsDown(t *testing.T) {
	srv := testservers.NewRedis(t)
	channel := testservers.UniqueName("late")
	_, rec, logs := start(t, Options{Redis: redisconn.RedisOptions{URL: srv.RedisURL()}, Channel: channel}, nil)
	if logs.Count("Redis is unavailable, retrying in the background") != 1 {
		t.Fatal("the failed first attempt was not reported")
	}
	srv.Start()
	pub := publisher(t, srv.RedisURL())
	publishUntilReceived(t, pub, rec, channel, 1)
	if n := logs.Count("Subscribed to Redis channel"); n != 1 {
		t.Fatalf("'Subscribed to Redis channel' logged %d times", n)
	}
}

// A Redis away for longer than MaxReconnectAttempts worth of back-off makes
// the broadcaster report itself unhealthy (one WARN), not stop: it keeps
// retrying at the back-off cap, and receives and reports healthy again
// within that cap of Redis's return.
func TestUnhealthyWhileRedisIsAwayThenRecovers(t *testing.T) {
	srv := testservers.StartRedis(t)
	channel := testservers.UniqueName("unhealthy")
	b, rec, logs := start(t, Options{Redis: redisconn.RedisOptions{URL: srv.RedisURL(), MaxReconnectAttempts: 2}, Channel: channel}, nil)
	pub := publisher(t, srv.RedisURL())
	publishUntilReceived(t, pub, rec, channel, 1)
	if !b.Healthy() {
		t.Fatal("unhealthy while subscribed")
	}

	srv.Kill()
	brokertest.Eventually(t, "the broadcaster to report itself unhealthy", 20*time.Second, func() bool { return !b.Healthy() })
	if n := logs.Count("Redis reconnect attempts exceeded, reporting unhealthy and retrying"); n != 1 {
		t.Fatalf("unhealthy logged %d times, want 1", n)
	}
	// It goes on retrying past the limit.
	failed := logs.Count("Redis reconnect failed")
	brokertest.Eventually(t, "a retry past the limit", 20*time.Second, func() bool { return logs.Count("Redis reconnect failed") > failed })

	srv.Start()
	back := time.Now()
	publishUntilReceived(t, pub, rec, channel, 2)
	brokertest.Eventually(t, "healthy again", waitFor, b.Healthy)
	// The cap is 5 s; the rest is a margin for a loaded machine.
	if d := time.Since(back); d > 9*time.Second {
		t.Fatalf("took %s to recover after Redis came back", d)
	}
	if n := logs.Count("Redis is reachable again, reporting healthy"); n != 1 {
		t.Fatalf("recovery logged %d times, want 1", n)
	}
}

func TestStartRejectsBadConfig(t *testing.T) {
	b := New(Options{Redis: redisconn.RedisOptions{URL: "http://localhost:6379"}}, nil, nil)
	if err := b.Start(context.Background(), brokertest.NewRecorder()); err == nil {
		t.Fatal("Start accepted an http:// Redis URL")
	}
	if err := b.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown after a failed Start: %v", err)
	}
}

// publishUntilReceived republishes (pub/sub drops what nobody hears) until
// the recorder holds want publications.
func publishUntilReceived(t *testing.T, pub rueidis.Client, rec *brokertest.Recorder, channel string, want int) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for len(rec.Publications()) < want {
		if time.Now().After(deadline) {
			t.Fatalf("no publication received within %s", waitFor)
		}
		// Errors are expected while the publisher reconnects too.
		_ = pub.Do(context.Background(), pub.B().Publish().Channel(channel).Message(`{"stream":"after","data":"2"}`).Build()).Error()
		time.Sleep(50 * time.Millisecond)
	}
}
