package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestRedisRestart: two densecable nodes on a throwaway Redis (Redis
// broker, Redis pub/sub, HTTP and Redis Streams broadcasters) with an
// @anycable/core client on each.
//
//   - Redis is killed (SIGKILL, no persistence) mid-test: while it is down
//     an HTTP broadcast is refused rather than acknowledged and lost, and
//     the clients stay connected; once Redis runs again on the same port,
//     the cluster recovers by itself: publications through HTTP and
//     through the Redis Stream (after the consumer group is back) reach the
//     clients on both nodes.
//   - redisx loses nothing: entries added to the Redis Stream while no
//     node runs are delivered once a node starts; a client that connects
//     afterwards finds them in the history, in order, with consecutive
//     offsets.
func TestRedisRestart(t *testing.T) {
	requireNode(t)
	port := freePort(t)
	addr := hostPort(port)
	redis := startRedis(t, port)
	key := uniqueName("e2e_redisx")
	stream := uniqueName("e2e_restart")
	nodes := startNodes(t, 2, nil,
		"--broker=redis", "--pubsub=redis", "--broadcast_adapter=http,redisx",
		"--redis_url=redis://"+addr+"/0", "--redisx_stream="+key)
	A, B := nodes[0], nodes[1]
	ag := startAgent(t, 110*time.Second)
	both := []string{"a", "b"}
	sids := map[string]any{}
	for i, c := range both {
		sids[c] = ag.do("connect", map[string]any{"cable": c, "url": nodes[i].wsURL()})["sid"]
		ag.do("subscribe", map[string]any{"cable": c, "stream": stream})
	}
	ag.do("sync", map[string]any{"cables": both, "stream": stream, "url": A.broadcastURL()})
	xadd(t, addr, key, stream, map[string]any{"n": "before"})
	for _, c := range both {
		ag.expectMessages(c, stream, nil, map[string]any{"n": "before"})
	}

	// Redis crashes and comes back empty on the same port.
	redis.kill()
	if code, body := request(t, "POST", A.broadcastURL(), "", broadcastBody(stream, map[string]any{"n": "while down"})); code == http.StatusCreated {
		t.Errorf("HTTP broadcast while Redis is down: 201 (accepted, then lost?): %s", body)
	}
	startRedis(t, port)

	// Recovery: HTTP publications on A reach both nodes again (retrying
	// while the nodes reconnect), then the Redis Stream works again once
	// the redisx consumer group exists.
	ag.do("sync", map[string]any{"cables": both, "stream": stream, "url": A.broadcastURL(), "ms": 20000, "retry": true})
	waitGroup(t, addr, key, "bx")
	xadd(t, addr, key, stream, map[string]any{"n": "after"})
	for _, c := range both {
		ag.expectMessages(c, stream, nil, map[string]any{"n": "after"})
		if st := ag.do("state", map[string]any{"cable": c}); st["state"] != "connected" || st["sid"] != sids[c] {
			t.Errorf("client %s after the Redis restart: %s, want still connected as %v", c, jsonOf(st), sids[c])
		}
		ag.expectNothingPending(c, stream)
	}
	ag.do("close", map[string]any{"cable": "a"})
	ag.do("close", map[string]any{"cable": "b"})

	// No node runs: what is added to the stream waits for the next node.
	stopAll(t, A, B)
	since := time.Now().Unix()
	for _, n := range []int{1, 2, 3} {
		xadd(t, addr, key, stream, map[string]any{"offline": n})
	}
	A = A.restartNode(t)
	waitConsumed(t, addr, key, "bx")
	ag.do("connect", map[string]any{"cable": "late", "url": A.wsURL(), "historyTimestamp": since})
	ag.do("subscribe", map[string]any{"cable": "late", "stream": stream})
	got := ag.do("takeUntil", map[string]any{"cable": "late", "stream": stream, "last": map[string]any{"offline": 3}})
	var offline []string
	var prev *received
	for _, r := range decodeReceived(t, got["messages"]) {
		if !strings.Contains(string(r.Message), "offline") {
			continue // published in the same second before the nodes stopped
		}
		offline = append(offline, string(r.Message))
		if r.Meta == nil || (prev != nil && (r.Meta.Epoch != prev.Meta.Epoch || r.Meta.Offset != prev.Meta.Offset+1)) {
			t.Errorf("offline entries are not consecutive in one epoch: %s after %v", r, prev)
		}
		prev = &r
	}
	if got := strings.Join(offline, ","); got != `{"offline":1},{"offline":2},{"offline":3}` {
		t.Fatalf("entries added while no node ran: got %s", got)
	}
	// And the restarted node keeps consuming live.
	xadd(t, addr, key, stream, map[string]any{"n": "live"})
	ag.expectMessages("late", stream, prev, map[string]any{"n": "live"})
	ag.expectNothingPending("late", stream)
	ag.quit()
}

func decodeReceived(t *testing.T, v any) []received {
	t.Helper()
	var out []received
	if err := json.Unmarshal([]byte(jsonOf(v)), &out); err != nil {
		t.Fatalf("decode messages: %v", err)
	}
	return out
}

// groupInfo returns XINFO GROUPS for the group: its fields by name, or nil
// when the stream or the group does not exist.
func groupInfo(addr, key, group string) map[string]any {
	v, err := redisDo(addr, "XINFO", "GROUPS", key)
	groups, ok := v.([]any)
	if err != nil || !ok {
		return nil
	}
	for _, g := range groups {
		fields, _ := g.([]any)
		m := map[string]any{}
		for i := 0; i+1 < len(fields); i += 2 {
			k, _ := fields[i].(string)
			m[k] = fields[i+1]
		}
		if m["name"] == group {
			return m
		}
	}
	return nil
}

// waitGroup waits until the redisx consumer group exists (created again
// by a node after Redis lost it); entries added before would be skipped,
// as with any consumer group created at "$".
func waitGroup(t *testing.T, addr, key, group string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for groupInfo(addr, key, group) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("the redisx consumer group %s on %s was not created again within 20s of the Redis restart", group, key)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitConsumed waits until the group has read every entry of the stream
// and acknowledged it (pending 0): the node has handled the backlog.
func waitConsumed(t *testing.T, addr, key, group string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		last := mustRedis(t, addr, "XINFO", "STREAM", key)
		lastID := ""
		if fields, ok := last.([]any); ok {
			for i := 0; i+1 < len(fields); i += 2 {
				if fields[i] == "last-generated-id" {
					lastID, _ = fields[i+1].(string)
				}
			}
		}
		g := groupInfo(addr, key, group)
		if g != nil && g["last-delivered-id"] == lastID && g["pending"] == int64(0) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("redisx did not consume the backlog of %s within 20s: group %v, last entry %s", key, g, lastID)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
