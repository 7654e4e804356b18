package redisx

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/broker/brokertest"
	redisconn "github.com/densecable/densecable/broker/conn/redis"
	"github.com/densecable/densecable/broker/testservers"
)

const waitFor = 10 * time.Second

var sharedURL = "redis://" + testservers.SharedRedisAddr

type node struct {
	b    *Broadcaster
	rec  *brokertest.Recorder
	logs *brokertest.Logs
}

// startNode runs a broadcaster with short timings; it is shut down at the
// end of the test unless the test does it.
func startNode(t *testing.T, url, stream, consumer string, stats *broker.Stats) *node {
	t.Helper()
	return startNodeWith(t, redisconn.RedisOptions{URL: url}, stream, consumer, stats)
}

func startNodeWith(t *testing.T, ro redisconn.RedisOptions, stream, consumer string, stats *broker.Stats) *node {
	t.Helper()
	logger, logs := brokertest.NewLogger()
	b := New(Options{
		Redis:     ro,
		Stream:    stream,
		Consumer:  consumer,
		ReadBlock: 100 * time.Millisecond,
		ClaimIdle: 300 * time.Millisecond,
	}, stats, logger)
	n := &node{b: b, rec: brokertest.NewRecorder(), logs: logs}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := b.Start(ctx, n.rec); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { n.shutdown(t) })
	return n
}

func (n *node) shutdown(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := n.b.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

func client(t *testing.T, url string) rueidis.Client {
	t.Helper()
	c, err := redisconn.NewRedisClient(redisconn.RedisOptions{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func xadd(t *testing.T, c rueidis.Client, stream string, fieldValues ...string) {
	t.Helper()
	cmd := c.B().Xadd().Key(stream).Id("*").FieldValue()
	for i := 0; i+1 < len(fieldValues); i += 2 {
		cmd = cmd.FieldValue(fieldValues[i], fieldValues[i+1])
	}
	if err := c.Do(context.Background(), cmd.Build()).Error(); err != nil {
		t.Fatalf("XADD: %v", err)
	}
}

func cleanupStream(t *testing.T, c rueidis.Client, stream string) {
	t.Cleanup(func() { c.Do(context.Background(), c.B().Del().Key(stream).Build()) })
}

// settled waits until the stream is empty and nothing is pending: every
// entry was acknowledged and deleted, so nothing can be delivered again.
func settled(t *testing.T, c rueidis.Client, stream, group string) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(waitFor)
	for {
		xlen, err1 := c.Do(ctx, c.B().Xlen().Key(stream).Build()).AsInt64()
		pend, err2 := c.Do(ctx, c.B().Xpending().Key(stream).Group(group).Build()).ToArray()
		var pending int64 = -1
		if err2 == nil && len(pend) > 0 {
			pending, _ = pend[0].AsInt64()
		}
		if err1 == nil && err2 == nil && xlen == 0 && pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("stream not settled: XLEN=%d (%v), pending=%d (%v)", xlen, err1, pending, err2)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDeliversAcksAndDeletes(t *testing.T) {
	testservers.RequireShared(t, testservers.SharedRedisAddr, "Redis")
	stream := testservers.UniqueName("redisx")
	c := client(t, sharedURL)
	cleanupStream(t, c, stream)
	stats := &broker.Stats{}
	n := startNode(t, sharedURL, stream, "n1", stats)
	if n.b.IsFanout() {
		t.Fatal("redisx must not be fan-out")
	}

	xadd(t, c, stream, "payload", `{"stream":"s1","data":"{\"a\":1}","meta":{"transient":true}}`)
	xadd(t, c, stream, "payload", `{oops`)
	xadd(t, c, stream, "payload", `[{"stream":"s2","data":"x"},{"stream":"s3","data":"y"}]`)
	xadd(t, c, stream, "other", `{"stream":"ignored","data":"x"}`)
	xadd(t, c, stream, "payload", `{"command":"disconnect","payload":{"identifier":"u","reconnect":true}}`)

	pubs := n.rec.WaitPublications(t, 3, waitFor)
	want := []broker.Publication{
		{Stream: "s1", Data: `{"a":1}`, Meta: broker.Meta{Transient: true}},
		{Stream: "s2", Data: "x"},
		{Stream: "s3", Data: "y"},
	}
	for i := range want {
		if pubs[i] != want[i] {
			t.Fatalf("publication %d = %+v, want %+v", i, pubs[i], want[i])
		}
	}
	if cmds := n.rec.WaitCommands(t, 1, waitFor); cmds[0] != (broker.RemoteCommand{Command: "disconnect", Identifier: "u", Reconnect: true}) {
		t.Fatalf("command = %+v", cmds[0])
	}
	settled(t, c, stream, DefaultGroup)
	if stats.Publications.Load() != 4 || stats.FailedBroadcast.Load() != 2 || stats.BroadcastMsg.Load() != 0 {
		t.Fatalf("stats publications=%d failed=%d broadcast=%d", stats.Publications.Load(), stats.FailedBroadcast.Load(), stats.BroadcastMsg.Load())
	}
}

// Entries added while no node runs are delivered when one starts.
func TestDeliversWhatWasAddedWhileNoNodeRan(t *testing.T) {
	testservers.RequireShared(t, testservers.SharedRedisAddr, "Redis")
	stream := testservers.UniqueName("redisx")
	c := client(t, sharedURL)
	cleanupStream(t, c, stream)

	first := startNode(t, sharedURL, stream, "first", nil) // creates the group
	first.shutdown(t)

	for i := range 3 {
		xadd(t, c, stream, "payload", fmt.Sprintf(`{"stream":"s","data":"%d"}`, i))
	}
	second := startNode(t, sharedURL, stream, "second", nil)
	pubs := second.rec.WaitPublications(t, 3, waitFor)
	for i, p := range pubs[:3] {
		if p.Data != fmt.Sprint(i) {
			t.Fatalf("publication %d = %+v", i, p)
		}
	}
	settled(t, c, stream, DefaultGroup)
	if n := len(first.rec.Publications()); n != 0 {
		t.Fatalf("the stopped node got %d publications", n)
	}
}

// Two nodes in one group share the entries: each is delivered exactly once.
func TestTwoConsumersShareEntries(t *testing.T) {
	testservers.RequireShared(t, testservers.SharedRedisAddr, "Redis")
	stream := testservers.UniqueName("redisx")
	c := client(t, sharedURL)
	cleanupStream(t, c, stream)
	a := startNode(t, sharedURL, stream, "a", nil)
	b := startNode(t, sharedURL, stream, "b", nil)

	const total = 40
	for i := range total {
		xadd(t, c, stream, "payload", fmt.Sprintf(`{"stream":"s","data":"%d"}`, i))
	}
	deadline := time.Now().Add(waitFor)
	for len(a.rec.Publications())+len(b.rec.Publications()) < total {
		if time.Now().After(deadline) {
			t.Fatalf("received %d+%d of %d", len(a.rec.Publications()), len(b.rec.Publications()), total)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Once everything is acknowledged and deleted nothing can come again,
	// so the counts below are final.
	settled(t, c, stream, DefaultGroup)
	var got []string
	for _, p := range append(a.rec.Publications(), b.rec.Publications()...) {
		got = append(got, p.Data)
	}
	if len(got) != total {
		t.Fatalf("%d deliveries for %d entries", len(got), total)
	}
	sort.Strings(got)
	for i := 1; i < len(got); i++ {
		if got[i] == got[i-1] {
			t.Fatalf("entry %s delivered twice", got[i])
		}
	}
}

// An entry read by a consumer that died before acknowledging it is claimed
// by a live node.
func TestClaimsEntriesOfADeadConsumer(t *testing.T) {
	testservers.RequireShared(t, testservers.SharedRedisAddr, "Redis")
	stream := testservers.UniqueName("redisx")
	c := client(t, sharedURL)
	cleanupStream(t, c, stream)
	ctx := context.Background()
	if err := c.Do(ctx, c.B().XgroupCreate().Key(stream).Group(DefaultGroup).Id("$").Mkstream().Build()).Error(); err != nil {
		t.Fatal(err)
	}
	xadd(t, c, stream, "payload", `{"stream":"orphan","data":"x"}`)
	read, err := c.Do(ctx, c.B().Xreadgroup().Group(DefaultGroup, "dead").Count(10).Streams().Key(stream).Id(">").Build()).AsXRead()
	if err != nil || len(read[stream]) != 1 {
		t.Fatalf("the dead consumer did not take the entry: %v %v", read, err)
	}

	n := startNode(t, sharedURL, stream, "alive", nil)
	pubs := n.rec.WaitPublications(t, 1, waitFor)
	if pubs[0].Stream != "orphan" {
		t.Fatalf("publication = %+v", pubs[0])
	}
	settled(t, c, stream, DefaultGroup)
}

// A handler failure leaves the entry pending; it is delivered once the
// handler works again.
func TestHandlerFailureKeepsEntryPending(t *testing.T) {
	testservers.RequireShared(t, testservers.SharedRedisAddr, "Redis")
	stream := testservers.UniqueName("redisx")
	c := client(t, sharedURL)
	cleanupStream(t, c, stream)
	n := startNode(t, sharedURL, stream, "flaky", nil)
	n.rec.SetFail(errors.New("broker down"))

	xadd(t, c, stream, "payload", `{"stream":"s","data":"kept"}`)
	deadline := time.Now().Add(waitFor)
	for n.logs.Count("broadcast failed, leaving the entry pending") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the failure was not reported")
		}
		time.Sleep(10 * time.Millisecond)
	}
	pend, err := c.Do(context.Background(), c.B().Xpending().Key(stream).Group(DefaultGroup).Build()).ToArray()
	if err != nil {
		t.Fatal(err)
	}
	if count, _ := pend[0].AsInt64(); count != 1 {
		t.Fatalf("pending = %d, want 1", count)
	}

	n.rec.SetFail(nil)
	pubs := n.rec.WaitPublications(t, 1, waitFor)
	if pubs[0].Data != "kept" {
		t.Fatalf("publication = %+v", pubs[0])
	}
	settled(t, c, stream, DefaultGroup)
}

// After a Redis restart that lost everything (no persistence, so the group
// too) the node recreates the group where it was, not at `$`: entries added
// after the restart but before the node reconnected are delivered.
func TestRecoversAfterRedisRestart(t *testing.T) {
	srv := testservers.StartRedis(t)
	stream := testservers.UniqueName("redisx")
	// A fixed 2 s pause between attempts: the entries below are added
	// before the node is back.
	n := startNodeWith(t, redisconn.RedisOptions{URL: srv.RedisURL(), ReconnectMin: 2 * time.Second, ReconnectMax: 2 * time.Second}, stream, "n", nil)
	c := client(t, srv.RedisURL())
	xadd(t, c, stream, "payload", `{"stream":"before","data":"0"}`)
	n.rec.WaitPublications(t, 1, waitFor)
	settled(t, c, stream, DefaultGroup)

	srv.Kill()
	brokertest.Eventually(t, "the loss to be seen", waitFor, func() bool { return n.logs.Count("Redis connection lost") == 1 })
	srv.Start()
	lost := n.logs.Count("Reconnected to Redis")
	for i := 1; i <= 3; i++ {
		xaddRetry(t, c, stream, fmt.Sprintf(`{"stream":"after","data":"%d"}`, i))
	}
	if lost != 0 {
		t.Fatal("the node reconnected before the entries were added: the test proves nothing")
	}
	pubs := n.rec.WaitPublications(t, 4, waitFor)
	for i, p := range pubs {
		if p.Data != fmt.Sprint(i) {
			t.Fatalf("publication %d = %+v", i, p)
		}
	}
	if n.logs.Count("Reconnected to Redis") != 1 {
		t.Fatalf("reconnected logged %d times", n.logs.Count("Reconnected to Redis"))
	}
}

// A Redis away for longer than MaxReconnectAttempts worth of back-off makes
// the node report itself unhealthy (one WARN), not stop: it keeps retrying
// at the back-off cap, and consumes and reports healthy again within that cap
// of Redis's return; entries added while it was away are delivered.
func TestUnhealthyWhileRedisIsAwayThenRecovers(t *testing.T) {
	dir := t.TempDir()
	srv := testservers.StartRedisPersistent(t, dir)
	stream := testservers.UniqueName("redisx")
	n := startNodeWith(t, redisconn.RedisOptions{URL: srv.RedisURL(), MaxReconnectAttempts: 2}, stream, "n", nil)
	c := client(t, srv.RedisURL())
	xadd(t, c, stream, "payload", `{"stream":"s","data":"0"}`)
	n.rec.WaitPublications(t, 1, waitFor)
	settled(t, c, stream, DefaultGroup) // acknowledged: not delivered again
	if !n.b.Healthy() {
		t.Fatal("unhealthy while consuming")
	}

	srv.Kill()
	brokertest.Eventually(t, "the node to report itself unhealthy", 20*time.Second, func() bool { return !n.b.Healthy() })
	if k := n.logs.Count("Redis reconnect attempts exceeded, reporting unhealthy and retrying"); k != 1 {
		t.Fatalf("unhealthy logged %d times, want 1", k)
	}
	failed := n.logs.Count("Redis reconnect failed")
	brokertest.Eventually(t, "a retry past the limit", 20*time.Second, func() bool { return n.logs.Count("Redis reconnect failed") > failed })

	srv.Start()
	back := time.Now()
	xaddRetry(t, c, stream, `{"stream":"s","data":"1"}`)
	pubs := n.rec.WaitPublications(t, 2, waitFor)
	brokertest.Eventually(t, "healthy again", waitFor, n.b.Healthy)
	// The cap is 5 s; the rest is a margin for a loaded machine.
	if d := time.Since(back); d > 9*time.Second {
		t.Fatalf("took %s to recover after Redis came back", d)
	}
	if pubs[1].Data != "1" {
		t.Fatalf("publication = %+v", pubs[1])
	}
	if k := n.logs.Count("Redis is reachable again, reporting healthy"); k != 1 {
		t.Fatalf("recovery logged %d times, want 1", k)
	}
}

// xaddRetry adds an entry, retrying while the client's connection is the
// one a restart broke (EOF: the command was not sent).
func xaddRetry(t *testing.T, c rueidis.Client, stream, payload string) {
	t.Helper()
	var err error
	brokertest.Eventually(t, "XADD to succeed", waitFor, func() bool {
		err = c.Do(context.Background(), c.B().Xadd().Key(stream).Id("*").FieldValue().FieldValue(PayloadField, payload).Build()).Error()
		return err == nil
	})
}

func consumerCount(t *testing.T, c rueidis.Client, stream string) int {
	t.Helper()
	arr, err := c.Do(context.Background(), c.B().XinfoConsumers().Key(stream).Group(DefaultGroup).Build()).ToArray()
	if err != nil {
		t.Fatal(err)
	}
	return len(arr)
}

// A node that leaves with nothing pending removes itself from the group.
func TestShutdownRemovesIdleConsumer(t *testing.T) {
	testservers.RequireShared(t, testservers.SharedRedisAddr, "Redis")
	stream := testservers.UniqueName("redisx")
	c := client(t, sharedURL)
	cleanupStream(t, c, stream)
	n := startNode(t, sharedURL, stream, "leaving", nil)
	// Redis registers a consumer when it is handed an entry.
	xadd(t, c, stream, "payload", `{"stream":"s","data":"x"}`)
	n.rec.WaitPublications(t, 1, waitFor)
	settled(t, c, stream, DefaultGroup)
	if k := consumerCount(t, c, stream); k != 1 {
		t.Fatalf("%d consumers before shutdown", k)
	}
	n.shutdown(t)
	if k := consumerCount(t, c, stream); k != 0 {
		t.Fatalf("%d consumers left after shutdown", k)
	}
}

// A node that leaves with pending entries stays in the group, so another
// node can claim them.
func TestShutdownKeepsConsumerWithPendingEntries(t *testing.T) {
	testservers.RequireShared(t, testservers.SharedRedisAddr, "Redis")
	stream := testservers.UniqueName("redisx")
	c := client(t, sharedURL)
	cleanupStream(t, c, stream)
	n := startNode(t, sharedURL, stream, "failing", nil)
	n.rec.SetFail(errors.New("broker down"))
	xadd(t, c, stream, "payload", `{"stream":"s","data":"x"}`)
	deadline := time.Now().Add(waitFor)
	for n.logs.Count("broadcast failed, leaving the entry pending") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the failure was not reported")
		}
		time.Sleep(10 * time.Millisecond)
	}
	n.shutdown(t)
	if k := consumerCount(t, c, stream); k != 1 {
		t.Fatalf("%d consumers after shutdown, want the failing one kept", k)
	}

	other := startNode(t, sharedURL, stream, "other", nil)
	if pubs := other.rec.WaitPublications(t, 1, waitFor); pubs[0].Data != "x" {
		t.Fatalf("publication = %+v", pubs[0])
	}
	settled(t, c, stream, DefaultGroup)
}
