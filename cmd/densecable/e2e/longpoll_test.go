package e2e

import (
	"strconv"
	"testing"
	"time"
)

// checkLongPollRun checks the scenario's observations (longpoll_scenario.js).
func checkLongPollRun(t *testing.T, done event, expiry bool) {
	t.Helper()
	want := map[string]float64{"get": 405, "garbage": 400, "oversized": 413, "unknown": 401}
	for k, v := range want {
		if got := done.field("bad." + k); got != v {
			t.Errorf("bad request %s: HTTP %v, want %v", k, got, v)
		}
	}
	if expiry && done.field("expired") != float64(401) {
		t.Errorf("request for an expired session: HTTP %v, want 401", done.field("expired"))
	}
}

// TestLongPollNoRPC: long-poll clients on public streams, broadcasts over
// HTTP, bad requests, keep-alive expiry; on both engines.
func TestLongPollNoRPC(t *testing.T) {
	requireNode(t)
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			bport := freePort(t)
			s := startServer(t, "--poller="+engine, "--norpc", "--noauth", "--public_streams", "--poll",
				"--poll_keepalive_timeout=1", "--poll_flush_interval=50", "--poll_interval=5",
				"--broadcast_adapter=http", "--http_broadcast_port="+strconv.Itoa(bport))
			done := runNode(t, 60*time.Second, "longpoll_scenario.js", "--url="+s.httpURL("/lp"),
				"--broadcast=http://"+hostPort(bport)+"/_broadcast", "--mode=norpc", "--expiry=1")
			checkLongPollRun(t, done, true)
			if jsonOf(done.field("whisper")) != `{"typing":"b"}` || done.field("bGotOwnWhisper") != float64(0) {
				t.Errorf("whisper: a got %s, the sender got its own %v times", jsonOf(done.field("whisper")), done.field("bGotOwnWhisper"))
			}
		})
	}
}

// TestLongPollRPC: the same with the RPC application (Connect, subscribe
// and perform over gRPC; the application broadcasts).
func TestLongPollRPC(t *testing.T) {
	requireNode(t)
	s, bcast := startWithBenchApp(t, "--poll", "--poll_flush_interval=50")
	done := runNode(t, 60*time.Second, "longpoll_scenario.js", "--url="+s.httpURL("/lp"),
		"--broadcast="+bcast, "--mode=rpc")
	checkLongPollRun(t, done, false)
}

// TestLongPollTwoNodes: a broadcast published on one node reaches a
// long-poll client of another over Redis pub/sub (the client's polls all go
// to its own node: sessions are node-local).
func TestLongPollTwoNodes(t *testing.T) {
	requireNode(t)
	requireRedis(t, sharedRedis)
	nodes := startNodes(t, 2, nil, "--broker=redis", "--pubsub=redis", "--redis_url="+sharedRedisURL,
		"--broadcast_adapter=http", "--poll", "--poll_flush_interval=50")
	done := runNode(t, 60*time.Second, "longpoll_scenario.js", "--url="+nodes[0].httpURL("/lp"),
		"--broadcast="+nodes[1].broadcastURL(), "--mode=norpc")
	checkLongPollRun(t, done, false)
}
