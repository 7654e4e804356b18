package pubsub

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

func newRedisClient(t *testing.T, url string) rueidis.Client {
	t.Helper()
	c, err := redisconn.NewRedisClient(redisconn.RedisOptions{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestRedisTwoNodes(t *testing.T) {
	testservers.RequireShared(t, testservers.SharedRedisAddr, "Redis")
	channel := testservers.UniqueName("internal")
	testTwoNodes(t, func(t *testing.T) node {
		return NewRedis(newRedisClient(t, "redis://"+testservers.SharedRedisAddr), channel, nil)
	})
}

func TestRedisResubscribesAfterRestart(t *testing.T) {
	srv := testservers.StartRedis(t)
	logger, logs := brokertest.NewLogger()
	a := NewRedis(newRedisClient(t, srv.RedisURL()), "", nil)
	b := NewRedis(newRedisClient(t, srv.RedisURL()), "", logger)
	testRestart(t, srv, a, b)
	if logs.Count("Reconnected to Redis pub/sub") == 0 || logs.Count("Redis pub/sub connection lost") != 1 {
		t.Fatalf("loss logged %d times, recovery %d times",
			logs.Count("Redis pub/sub connection lost"), logs.Count("Reconnected to Redis pub/sub"))
	}
}

// A node started while Redis is down subscribes once Redis is up, and
// Broadcast fails (rather than hangs) meanwhile.
func TestRedisStartsWhileRedisIsDown(t *testing.T) {
	srv := testservers.StartRedis(t)
	client := newRedisClient(t, srv.RedisURL())
	srv.Kill()
	n := NewRedis(client, "", nil)
	rec := startNode(t, n)
	stream := testservers.UniqueName("late")
	n.Subscribe(stream)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := n.Broadcast(ctx, &broker.Publication{Stream: stream, Data: "x"}); err == nil {
		t.Fatal("Broadcast succeeded with Redis down")
	}
	srv.Start()
	eventually(t, "subscription once Redis is up", func() bool { return n.subscribed(stream) })
	p := publish(t, n, stream, "hello", 1)
	if got := rec.WaitPublications(t, 1, waitFor); got[0] != p {
		t.Fatalf("got %+v", got[0])
	}
}
