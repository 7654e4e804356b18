package e2e

import (
	"testing"
)

// TestPusherJSWithServerSDK: pusher-js clients on /app/KEY and the
// `pusher` server SDK on the HTTP API of one node: events triggered by the
// SDK reach subscribers (the socket_id's own connection excluded), the
// API lists presence users and counts, a client event reaches the other
// member, and the webhooks (occupied, member added/removed, client event,
// vacated) arrive signed, once each.
func TestPusherJSWithServerSDK(t *testing.T) {
	requireNode(t)
	hookPort := freePort(t)
	srv := startServer(t, append([]string{"--public", "--secret=e2e-secret", "--broker=memory", "--presence_ttl=2",
		"--broadcast_adapter=http"}, pusherFlags(hookPort)...)...)
	sdk := startPusherSDK(t, srv.port, hookPort)

	alice := sdk.do("connect", map[string]any{"client": "alice", "user": "u1"})["socket_id"].(string)
	sdk.do("connect", map[string]any{"client": "bob", "user": "u2"})
	for _, c := range []string{"alice", "bob"} {
		sdk.do("subscribe", map[string]any{"client": c, "channel": "private-orders"})
		sdk.do("subscribe", map[string]any{"client": c, "channel": "presence-room"})
	}
	sdk.expectWebhook("channel_occupied", "private-orders")
	sdk.expectWebhook("channel_occupied", "presence-room")
	sdk.expectWebhook("member_added", "presence-room")

	// An event for everyone, then one that leaves out alice's socket.
	sdk.expectCall("trigger", "trigger", map[string]any{"channels": "private-orders", "name": "order", "data": map[string]int{"id": 1}}, 200, `{}`)
	for _, c := range []string{"alice", "bob"} {
		if got := jsonOf(sdk.do("take", map[string]any{"client": c, "channel": "private-orders", "name": "order"})["data"]); got != `{"id":1}` {
			t.Fatalf("%s got %s", c, got)
		}
	}
	sdk.expectCall("trigger excluding alice", "trigger", map[string]any{"channels": "private-orders", "name": "not-alice", "data": "x", "socket_id": alice}, 200, `{}`)
	sdk.do("take", map[string]any{"client": "bob", "channel": "private-orders", "name": "not-alice"})
	sdk.expectCall("trigger after", "trigger", map[string]any{"channels": "private-orders", "name": "after", "data": "y"}, 200, `{}`)
	sdk.do("take", map[string]any{"client": "alice", "channel": "private-orders", "name": "after"})
	// Delivery is in order: had alice got the excluded event, it would be
	// waiting before "after".
	if n := sdk.do("count", map[string]any{"client": "alice", "channel": "private-orders", "name": "not-alice"})["count"]; n != float64(0) {
		t.Fatalf("alice got %v events triggered with her socket_id excluded", n)
	}

	// Presence through the API.
	sdk.expectCall("users", "get", map[string]any{"path": "/channels/presence-room/users"}, 200, `{"users":[{"id":"u1"},{"id":"u2"}]}`)
	sdk.expectCall("presence counts", "get", map[string]any{"path": "/channels/presence-room", "params": map[string]string{"info": "user_count,subscription_count"}}, 200,
		`{"occupied":true,"user_count":2,"subscription_count":2}`)
	sdk.expectCall("channels", "get", map[string]any{"path": "/channels", "params": map[string]string{"filter_by_prefix": "presence-", "info": "user_count"}}, 200,
		`{"channels":{"presence-room":{"user_count":2}}}`)

	// A client event reaches bob, and the webhook names its sender.
	if sent := sdk.do("clientEvent", map[string]any{"client": "alice", "channel": "presence-room", "name": "client-typing", "data": map[string]bool{"typing": true}})["sent"]; sent != true {
		t.Fatalf("pusher-js did not send the client event: %v", sent)
	}
	if got := jsonOf(sdk.do("take", map[string]any{"client": "bob", "channel": "presence-room", "name": "client-typing"})["data"]); got != `{"typing":true}` {
		t.Fatalf("bob got client event data %s", got)
	}
	hook := sdk.expectWebhook("client_event", "presence-room")["hook"].(map[string]any)
	if hook["event"] != "client-typing" || hook["socket_id"] != alice || hook["user_id"] != "u1" || hook["data"] != `{"typing":true}` {
		t.Fatalf("client_event webhook %s", jsonOf(hook))
	}

	// Bob goes: member_removed (once his presence is gone); then alice:
	// both channels vacated.
	sdk.do("disconnect", map[string]any{"client": "bob"})
	if h := sdk.expectWebhook("member_removed", "presence-room")["hook"].(map[string]any); h["user_id"] != "u2" {
		t.Fatalf("member_removed for %v, want u2", h["user_id"])
	}
	sdk.do("disconnect", map[string]any{"client": "alice"})
	sdk.expectWebhook("channel_vacated", "private-orders")
	sdk.expectWebhook("channel_vacated", "presence-room")
	expectWebhookCounts(t, sdk, "", map[string]int{"channel_occupied": 2, "channel_vacated": 2, "member_added": 2, "member_removed": 2, "client_event": 1})
	sdk.quit()
}
