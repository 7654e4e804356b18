package redisconn

import (
	"context"
	"testing"
	"time"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/broker/brokertest"
	"github.com/densecable/densecable/broker/testservers"
)

// The shared client's monitor reports Redis unhealthy after
// MaxReconnectAttempts failed pings in a row, keeps trying, and reports it
// healthy again within the back-off cap of its return.
func TestMonitorReportsUnhealthyThenRecovers(t *testing.T) {
	srv := testservers.StartRedis(t)
	opts := RedisOptions{URL: srv.RedisURL(), MaxReconnectAttempts: 2}
	c, err := NewRedisClient(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	logger, logs := brokertest.NewLogger()
	health := &broker.Health{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		Monitor(ctx, c, opts, health, logger)
	}()
	t.Cleanup(func() { cancel(); <-done })

	brokertest.Eventually(t, "the first ping", 10*time.Second, func() bool { return logs.Count("Connected to Redis") == 1 })
	srv.Kill()
	brokertest.Eventually(t, "unhealthy", 20*time.Second, func() bool { return !health.Healthy() })
	if n := logs.Count("Redis connection lost"); n != 1 {
		t.Fatalf("loss logged %d times", n)
	}
	failed := logs.Count("Redis is still unreachable")
	brokertest.Eventually(t, "a retry past the limit", 20*time.Second, func() bool { return logs.Count("Redis is still unreachable") > failed })

	srv.Start()
	back := time.Now()
	brokertest.Eventually(t, "healthy again", 15*time.Second, health.Healthy)
	if d := time.Since(back); d > 9*time.Second {
		t.Fatalf("took %s to report healthy after Redis came back", d)
	}
	if logs.Count("Reconnected to Redis") != 1 || logs.Count("Redis is reachable again, reporting healthy") != 1 {
		t.Fatal("the recovery was not logged once")
	}
}
