package redisbroadcast

import (
	"context"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/broker/brokertest"
	"github.com/densecable/densecable/broker/internal/testservers"
	"github.com/densecable/densecable/broker/redisconn"
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
	// Stay down long enough for several failed reconnects.
	time.Sleep(700 * time.Millisecond)
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
	// Backoff from 100 ms: a handful of attempts in 0.7 s, not a spin.
	if n := logs.Count("Redis reconnect failed"); n > 20 {
		t.Fatalf("%d failed reconnects while Redis was down for 0.7 s", n)
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

func TestGivesUpAfterMaxReconnectAttempts(t *testing.T) {
	srv := testservers.NewRedis(t) // never started
	fatal := make(chan error, 1)
	opts := Options{
		Redis:   redisconn.RedisOptions{URL: srv.RedisURL(), MaxReconnectAttempts: 2},
		Channel: testservers.UniqueName("fatal"),
		OnFatal: func(err error) { fatal <- err },
	}
	start(t, opts, nil)
	select {
	case err := <-fatal:
		if err == nil {
			t.Fatal("OnFatal got a nil error")
		}
	case <-time.After(waitFor):
		t.Fatal("OnFatal was not called")
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
