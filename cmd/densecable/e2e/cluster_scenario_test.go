package e2e

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// clusterScenario runs @anycable/core clients against three running nodes
// A, B and C that share a broker and a pub/sub:
//
//   - clients on every node subscribe to one public stream; publications
//     on A (HTTP broadcast, REST API, and Redis Streams through xadd when
//     it is not nil) reach every client in order, with consecutive offsets
//     in one epoch;
//   - presence joined on B is seen from C (event and presence.info()) and
//     through A's REST API; leaving is seen too;
//   - the client on A (subscribed to the shared stream and to one only it
//     follows) loses its socket, messages are published on C while it is
//     away, and it reconnects to B with its session id: the session is
//     restored (no new subscription) and history brings exactly the missed
//     messages of both streams, then live ones flow on B, including those
//     of the stream B had no other subscriber for.
func clusterScenario(t *testing.T, nodes []*clusterNode, xadd func(stream string, data any)) {
	t.Helper()
	A, B, C := nodes[0], nodes[1], nodes[2]
	stream := uniqueName("e2e_cluster")
	ag := startAgent(t, 90*time.Second)
	all := []string{"a", "b", "c"}
	for _, c := range []struct {
		name string
		node *clusterNode
	}{{"b", B}, {"c", C}, {"a", A}} {
		ag.do("connect", map[string]any{"cable": c.name, "url": c.node.wsURL()})
		ag.do("subscribe", map[string]any{"cable": c.name, "stream": stream})
	}
	// The client on A also follows a stream nobody else does, so that B has
	// no subscription of its own to it when the client moves there.
	solo := uniqueName("e2e_solo")
	ag.do("subscribe", map[string]any{"cable": "a", "stream": solo})
	// Until a node's pub/sub subscription is in place it misses live
	// messages (history has them): publish until every client got one.
	ag.do("sync", map[string]any{"cables": all, "stream": stream, "url": A.broadcastURL()})
	ag.do("sync", map[string]any{"cables": []string{"a"}, "stream": solo, "url": C.broadcastURL()})
	C.publish(t, solo, map[string]any{"solo": 1})
	lastSolo := ag.expectMessages("a", solo, nil, map[string]any{"solo": 1})

	// Publications on A reach every node in order.
	last := map[string]*received{}
	A.publish(t, stream, map[string]any{"n": 1})
	A.publish(t, stream, map[string]any{"n": 2})
	A.apiPublish(t, stream, map[string]any{"n": 3})
	for _, c := range all {
		last[c] = ag.expectMessages(c, stream, nil, map[string]any{"n": 1}, map[string]any{"n": 2}, map[string]any{"n": 3})
	}
	if xadd != nil {
		// Entries are consumed by one node of the group each; one at a time,
		// so that the order to check is the order of publication.
		for _, n := range []int{4, 5} {
			xadd(stream, map[string]any{"n": n})
			for _, c := range all {
				last[c] = ag.expectMessages(c, stream, last[c], map[string]any{"n": n})
			}
		}
	}
	for _, c := range all[1:] {
		if last[c].Meta.Epoch != last["a"].Meta.Epoch || last[c].Meta.Offset != last["a"].Meta.Offset {
			t.Fatalf("nodes disagree on the position of the same message: a %s, %s %s", last["a"], c, last[c])
		}
	}

	// Presence joined on B is seen from C, from A, and through A's API.
	ag.do("join", map[string]any{"cable": "b", "stream": stream, "id": "bee", "info": map[string]any{"name": "Bee"}})
	for _, c := range []string{"c", "a"} {
		ev := ag.do("presenceEvent", map[string]any{"cable": c, "stream": stream, "type": "join", "id": "bee"})
		if got := jsonOf(ev["presence"]); got != `{"id":"bee","info":{"name":"Bee"},"type":"join"}` {
			t.Errorf("join event at %s: %s", c, got)
		}
	}
	if got := jsonOf(ag.do("presenceInfo", map[string]any{"cable": "c", "stream": stream})["state"]); got != `{"bee":{"name":"Bee"}}` {
		t.Errorf("presence.info() on C: %s", got)
	}
	if code, body := A.presenceUsers(t, stream, apiKey); code != http.StatusOK ||
		body != `{"type":"info","total":1,"records":[{"info":{"name":"Bee"},"id":"bee"}]}` {
		t.Errorf("GET /api/presence/%s/users on A: %d %s", stream, code, body)
	}
	if code, _ := A.presenceUsers(t, stream, "wrong-key"); code != http.StatusUnauthorized {
		t.Errorf("presence API with a wrong key: %d, want 401", code)
	}

	// The client on A drops; two messages are published elsewhere while it
	// is away; it comes back on B with its session id.
	sid := ag.do("state", map[string]any{"cable": "a"})["sid"]
	ag.do("drop", map[string]any{"cable": "a", "to": B.wsURL()})
	C.publish(t, stream, map[string]any{"n": 6})
	C.publish(t, solo, map[string]any{"solo": 2})
	if xadd != nil {
		xadd(stream, map[string]any{"n": 7})
	} else {
		C.apiPublish(t, stream, map[string]any{"n": 7})
	}
	for _, c := range []string{"b", "c"} {
		last[c] = ag.expectMessages(c, stream, last[c], map[string]any{"n": 6}, map[string]any{"n": 7})
	}
	back := ag.do("resume", map[string]any{"cable": "a"})
	if back["restored"] != true {
		t.Fatalf("reconnect to B with sid %v: not restored (%s)", sid, jsonOf(back))
	}
	if url, _ := back["url"].(string); !strings.Contains(url, ":"+strconv.Itoa(B.port)+"/") || !strings.Contains(url, "sid=") {
		t.Fatalf("the client reconnected to %s, want node B with ?sid=", url)
	}
	last["a"] = ag.expectMessages("a", stream, last["a"], map[string]any{"n": 6}, map[string]any{"n": 7})
	lastSolo = ag.expectMessages("a", solo, lastSolo, map[string]any{"solo": 2})
	A.publish(t, stream, map[string]any{"n": 8})
	for _, c := range all {
		last[c] = ag.expectMessages(c, stream, last[c], map[string]any{"n": 8})
	}
	// B subscribed to the solo stream's publications when it restored the
	// session: live messages from another node reach the client there.
	C.publish(t, solo, map[string]any{"solo": 3})
	ag.expectMessages("a", solo, lastSolo, map[string]any{"solo": 3})

	// Leaving is seen from C and through the API.
	ag.do("leave", map[string]any{"cable": "b", "stream": stream})
	ag.do("presenceEvent", map[string]any{"cable": "c", "stream": stream, "type": "leave", "id": "bee"})
	if code, body := A.presenceUsers(t, stream, apiKey); code != http.StatusOK || body != `{"type":"info","total":0}` {
		t.Errorf("presence API after leave: %d %s", code, body)
	}
	for _, c := range all {
		ag.expectNothingPending(c, stream)
	}
	ag.expectNothingPending("a", solo)
	ag.quit()
}
