package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestPusherClusterOnRedis: two nodes on the Redis broker and Redis
// pub/sub. A channel subscribed on both nodes is occupied and vacated
// once, a user present on both nodes is added and removed once (one
// webhook per event across the cluster); either node's HTTP API sees the
// whole cluster's channels and users, and a trigger on one node reaches
// subscribers on both.
func TestPusherClusterOnRedis(t *testing.T) {
	requireNode(t)
	requireRedis(t, sharedRedis)
	hookPort := freePort(t)
	nodes := startNodes(t, 2, nil, append([]string{"--broker=redis", "--pubsub=redis", "--broadcast_adapter=http",
		"--redis_url=" + sharedRedisURL, "--presence_ttl=2"}, pusherFlags(hookPort)...)...)
	sdk := startPusherSDK(t, nodes[0].port, hookPort)
	cables := startAgent(t, 2*time.Minute)
	ch := strings.ReplaceAll(uniqueName("presence-e2e"), "_", "-")
	on1 := func(call map[string]any) map[string]any { return map[string]any{"port": nodes[1].port, "call": call} }

	cables.do("connect", map[string]any{"cable": "a", "url": nodes[0].wsURL()})
	cables.do("connect", map[string]any{"cable": "b", "url": nodes[1].wsURL()})
	cables.do("subscribe", map[string]any{"cable": "a", "stream": ch})
	sdk.expectWebhook("channel_occupied", ch)
	cables.do("subscribe", map[string]any{"cable": "b", "stream": ch})
	cables.do("join", map[string]any{"cable": "a", "stream": ch, "id": "u1", "info": map[string]string{"name": "Ann"}})
	sdk.expectWebhook("member_added", ch)
	cables.do("join", map[string]any{"cable": "b", "stream": ch, "id": "u1", "info": map[string]string{"name": "Ann"}})
	cables.do("presenceInfo", map[string]any{"cable": "b", "stream": ch})

	// Each node's API answers for the cluster.
	sdk.expectCall("users on node 0", "get", map[string]any{"path": "/channels/" + ch + "/users"}, 200, `{"users":[{"id":"u1"}]}`)
	sdk.expectCall("channel on node 1", "as", on1(map[string]any{"op": "get", "path": "/channels/" + ch, "params": map[string]string{"info": "user_count"}}), 200,
		`{"occupied":true,"user_count":1}`)
	sdk.expectCall("channels on node 1", "as", on1(map[string]any{"op": "get", "path": "/channels", "params": map[string]string{"filter_by_prefix": ch}}), 200,
		`{"channels":{"`+ch+`":{}}}`)

	// A trigger on node 1 reaches the subscribers of both nodes.
	sdk.expectCall("trigger on node 1", "as", on1(map[string]any{"op": "trigger", "channels": ch, "name": "hi", "data": "both"}), 200, `{}`)
	for _, c := range []string{"a", "b"} {
		expectPusherEvent(t, cables, c, ch, "hi", "both")
	}

	// Node 0 leaves first: nothing changes for the cluster yet.
	cables.do("close", map[string]any{"cable": "a"})
	sdk.expectCall("still occupied", "get", map[string]any{"path": "/channels/" + ch, "params": map[string]string{"info": "user_count"}}, 200,
		`{"occupied":true,"user_count":1}`)
	// A closed session's presence lasts presence_ttl (2 s here), then the
	// node whose sweep expires it reports the leave.
	cables.do("close", map[string]any{"cable": "b"})
	sdk.expectWebhook("member_removed", ch)
	sdk.expectWebhook("channel_vacated", ch)
	expectWebhookCounts(t, sdk, ch, map[string]int{"channel_occupied": 1, "channel_vacated": 1, "member_added": 1, "member_removed": 1})
	cables.quit()
	sdk.quit()
}

// TestPusherJSClusterOnRedis: pusher-js clients of one user on two nodes
// (Redis broker and pub/sub): the user is added and removed once, the
// channel occupied and vacated once, a client event crosses nodes and
// makes one client_event webhook, and an SDK trigger on one node reaches
// both clients.
func TestPusherJSClusterOnRedis(t *testing.T) {
	requireNode(t)
	requireRedis(t, sharedRedis)
	hookPort := freePort(t)
	nodes := startNodes(t, 2, nil, append([]string{"--broker=redis", "--pubsub=redis", "--broadcast_adapter=http",
		"--redis_url=" + sharedRedisURL, "--presence_ttl=2"}, pusherFlags(hookPort)...)...)
	sdk := startPusherSDK(t, nodes[0].port, hookPort)
	ch := strings.ReplaceAll(uniqueName("presence-js"), "_", "-")

	sdk.do("connect", map[string]any{"client": "phone", "user": "u1", "port": nodes[0].port})
	laptop := sdk.do("connect", map[string]any{"client": "laptop", "user": "u1", "port": nodes[1].port})["socket_id"].(string)
	sdk.do("connect", map[string]any{"client": "friend", "user": "u2", "port": nodes[0].port})
	for _, c := range []string{"phone", "laptop", "friend"} {
		sdk.do("subscribe", map[string]any{"client": c, "channel": ch})
	}
	sdk.expectWebhook("channel_occupied", ch)
	sdk.expectCall("users", "get", map[string]any{"path": "/channels/" + ch + "/users"}, 200, `{"users":[{"id":"u1"},{"id":"u2"}]}`)

	// A client event from node 1 reaches the friend on node 0.
	sdk.do("clientEvent", map[string]any{"client": "laptop", "channel": ch, "name": "client-hello", "data": "hi"})
	if got := sdk.do("take", map[string]any{"client": "friend", "channel": ch, "name": "client-hello"})["data"]; got != "hi" {
		t.Fatalf("friend got %v", got)
	}
	if h := sdk.expectWebhook("client_event", ch)["hook"].(map[string]any); h["socket_id"] != laptop || h["user_id"] != "u1" {
		t.Fatalf("client_event webhook %s", jsonOf(h))
	}
	// An SDK trigger on node 1 reaches clients on both nodes.
	sdk.expectCall("trigger on node 1", "as", map[string]any{"port": nodes[1].port,
		"call": map[string]any{"op": "trigger", "channels": ch, "name": "news", "data": "x"}}, 200, `{}`)
	for _, c := range []string{"phone", "laptop", "friend"} {
		sdk.do("take", map[string]any{"client": c, "channel": ch, "name": "news"})
	}

	for _, c := range []string{"phone", "laptop", "friend"} {
		sdk.do("disconnect", map[string]any{"client": c})
	}
	sdk.expectWebhook("channel_vacated", ch)
	for range 2 {
		sdk.do("webhook", map[string]any{"name": "member_removed", "channel": ch})
	}
	expectWebhookCounts(t, sdk, ch, map[string]int{"channel_occupied": 1, "channel_vacated": 1, "member_added": 2, "member_removed": 2, "client_event": 1})
	sdk.quit()
}
