package redisstore

import (
	"context"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/densecable/densecable/broker"
	redisconn "github.com/densecable/densecable/broker/conn/redis"
	"github.com/densecable/densecable/broker/testservers"
)

const waitFor = 10 * time.Second

var sharedURL = "redis://" + testservers.SharedRedisAddr

// newClient connects to url and closes the client when the test ends.
func newClient(t testing.TB, url string) rueidis.Client {
	t.Helper()
	if url == sharedURL {
		testservers.RequireShared(t, testservers.SharedRedisAddr, "Redis")
	}
	c, err := redisconn.NewRedisClient(redisconn.RedisOptions{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// testPrefix returns a key prefix of this test alone and deletes its keys
// when the test ends.
func testPrefix(t testing.TB, c rueidis.Client) string {
	t.Helper()
	prefix := testservers.UniqueName("dctest") + ":"
	t.Cleanup(func() { deleteKeys(t, c, prefix) })
	return prefix
}

// prefixKeys lists the keys under prefix.
func prefixKeys(t testing.TB, c rueidis.Client, prefix string) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	var cursor uint64
	for {
		e, err := c.Do(ctx, c.B().Scan().Cursor(cursor).Match(prefix+"*").Count(1000).Build()).AsScanEntry()
		if err != nil {
			t.Fatalf("SCAN: %v", err)
		}
		out = append(out, e.Elements...)
		if cursor = e.Cursor; cursor == 0 {
			return out
		}
	}
}

func deleteKeys(t testing.TB, c rueidis.Client, prefix string) {
	t.Helper()
	for _, k := range prefixKeys(t, c, prefix) {
		_ = c.Do(context.Background(), c.B().Del().Key(k).Build()).Error()
	}
}

// node is one broker on a shared prefix, as one densecable process.
type node struct {
	*Broker
	expired *expiryLog
}

type nodeOpts struct {
	opts     broker.Options
	interval time.Duration // sweeper; an hour (tests sweep by hand) when zero
}

func startNode(t testing.TB, c rueidis.Client, prefix string, o nodeOpts) *node {
	t.Helper()
	if o.interval == 0 {
		o.interval = time.Hour
	}
	log := &expiryLog{}
	b := NewWithConfig(c, Config{Options: o.opts, Prefix: prefix, SweepInterval: o.interval}, log.record, nil)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := b.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		if err := b.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return &node{Broker: b, expired: log}
}
