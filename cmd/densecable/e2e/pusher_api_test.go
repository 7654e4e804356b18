package e2e

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pusherApp are the Pusher credentials the Pusher tests run with.
var pusherApp = struct{ id, key, secret string }{"app-1", "app-key", "app-secret"}

// pusherFlags turn the Pusher HTTP API and webhooks (to hookPort) on.
func pusherFlags(hookPort int) []string {
	return []string{"--pusher_app_id=" + pusherApp.id, "--pusher_app_key=" + pusherApp.key,
		"--pusher_secret=" + pusherApp.secret, "--pusher_webhook_url=http://127.0.0.1:" + strconv.Itoa(hookPort) + "/hook"}
}

// startPusherSDK starts js/pusher_sdk_agent.js against the node on port,
// with its webhook receiver on hookPort.
func startPusherSDK(t *testing.T, port, hookPort int) *agent {
	t.Helper()
	a := &agent{nodeScript: startNode(t, 2*time.Minute, "pusher_sdk_agent.js",
		"--host=127.0.0.1", "--port="+strconv.Itoa(port), "--app="+pusherApp.id, "--key="+pusherApp.key,
		"--secret="+pusherApp.secret, "--hook_port="+strconv.Itoa(hookPort))}
	a.await("listening")
	return a
}

// expectCall runs an SDK command and checks the status and, when body is
// not empty, the JSON body.
func (a *agent) expectCall(what string, op string, args map[string]any, status int, body string) {
	a.t.Helper()
	r := a.do(op, args)
	if r["status"] != float64(status) {
		a.t.Fatalf("%s: status %v (%v), want %d", what, r["status"], r["body"], status)
	}
	if body == "" {
		return
	}
	got, _ := r["body"].(string)
	var g, w any
	if json.Unmarshal([]byte(got), &g) != nil || json.Unmarshal([]byte(body), &w) != nil || jsonOf(g) != jsonOf(w) {
		a.t.Fatalf("%s: body %s, want %s", what, got, body)
	}
}

// expectWebhook waits for the webhook event name on channel.
func (a *agent) expectWebhook(name, channel string) event {
	a.t.Helper()
	return a.do("webhook", map[string]any{"name": name, "channel": channel})
}

// TestPusherHTTPAPI: the official `pusher` server SDK against one node
// (memory broker) for every HTTP API call, with channels subscribed by
// @anycable/core cables on streams named like the channels; webhooks for
// occupied, vacated, member added and removed, checked by the SDK's
// webhook() helper; and the bad input a server SDK or a forger can send.
func TestPusherHTTPAPI(t *testing.T) {
	requireNode(t)
	hookPort := freePort(t)
	srv := startServer(t, append([]string{"--public", "--secret=e2e-secret", "--broker=memory",
		"--broadcast_adapter=http"}, pusherFlags(hookPort)...)...)
	want := "Handle Pusher API requests at http://" + hostPort(srv.port) + "/apps/" + pusherApp.id + "/"
	waitFor(t, srv.proc, "the Pusher API log line", func() bool { return strings.Contains(srv.out.String(), want) })

	sdk := startPusherSDK(t, srv.port, hookPort)
	cables := startAgent(t, 2*time.Minute)
	cables.do("connect", map[string]any{"cable": "a", "url": srv.wsURL()})
	for _, ch := range []string{"my-channel", "private-orders", "presence-room"} {
		cables.do("subscribe", map[string]any{"cable": "a", "stream": ch})
		sdk.expectWebhook("channel_occupied", ch)
	}

	// Triggers: one channel, several channels, a batch.
	sdk.expectCall("trigger", "trigger", map[string]any{"channels": "my-channel", "name": "greet", "data": map[string]any{"hello": "world"}}, 200, `{}`)
	expectPusherEvent(t, cables, "a", "my-channel", "greet", `{"hello":"world"}`)
	sdk.expectCall("trigger to two channels", "trigger", map[string]any{"channels": []string{"my-channel", "private-orders"}, "name": "both", "data": "plain text"}, 200, `{}`)
	expectPusherEvent(t, cables, "a", "my-channel", "both", "plain text")
	expectPusherEvent(t, cables, "a", "private-orders", "both", "plain text")
	sdk.expectCall("triggerBatch", "triggerBatch", map[string]any{"batch": []map[string]any{
		{"channel": "private-orders", "name": "b1", "data": map[string]int{"n": 1}},
		{"channel": "presence-room", "name": "b2", "data": "two"},
	}}, 200, `{}`)
	expectPusherEvent(t, cables, "a", "private-orders", "b1", `{"n":1}`)
	expectPusherEvent(t, cables, "a", "presence-room", "b2", "two")

	// Presence through the broker's presence store.
	cables.do("join", map[string]any{"cable": "a", "stream": "presence-room", "id": "u1", "info": map[string]string{"name": "Ann"}})
	sdk.expectWebhook("member_added", "presence-room")
	sdk.expectCall("users", "get", map[string]any{"path": "/channels/presence-room/users"}, 200, `{"users":[{"id":"u1"}]}`)
	sdk.expectCall("users of an unknown presence channel", "get", map[string]any{"path": "/channels/presence-nobody/users"}, 200, `{"users":[]}`)
	sdk.expectCall("users of a private channel", "get", map[string]any{"path": "/channels/private-orders/users"}, 400, "")

	// Channel info.
	sdk.expectCall("channels", "get", map[string]any{"path": "/channels"}, 200,
		`{"channels":{"my-channel":{},"presence-room":{},"private-orders":{}}}`)
	sdk.expectCall("channels by prefix", "get", map[string]any{"path": "/channels", "params": map[string]string{"filter_by_prefix": "presence-", "info": "user_count"}}, 200,
		`{"channels":{"presence-room":{"user_count":1}}}`)
	sdk.expectCall("user_count without the presence prefix", "get", map[string]any{"path": "/channels", "params": map[string]string{"info": "user_count"}}, 400, "")
	sdk.expectCall("channel", "get", map[string]any{"path": "/channels/presence-room", "params": map[string]string{"info": "user_count,subscription_count"}}, 200,
		`{"occupied":true,"user_count":1,"subscription_count":1}`)
	sdk.expectCall("vacant channel", "get", map[string]any{"path": "/channels/nobody-here"}, 200, `{"occupied":false}`)

	// Bad input: nothing is published, the server carries on.
	trigger := map[string]any{"op": "trigger", "channels": "my-channel", "name": "forged", "data": "x"}
	sdk.expectCall("forged signature", "as", map[string]any{"secret": "guessed", "call": trigger}, 401, "")
	sdk.expectCall("wrong key", "as", map[string]any{"key": "other-key", "call": trigger}, 401, "")
	sdk.expectCall("stale timestamp", "stale", map[string]any{"call": trigger}, 401, "")
	sdk.expectCall("unknown app id", "as", map[string]any{"app": "app-2", "call": map[string]any{"op": "get", "path": "/channels"}}, 404, "")
	sdk.expectCall("unsigned", "raw", map[string]any{"method": "POST", "path": "/events", "body": `{"name":"forged","channel":"my-channel","data":"x"}`}, 401, "")
	sdk.expectCall("malformed JSON", "raw", map[string]any{"method": "POST", "path": "/events", "body": `{"name":"forged",`, "sign": true}, 400, "")
	sdk.expectCall("oversized event", "trigger", map[string]any{"channels": "my-channel", "name": "forged", "data": strings.Repeat("x", 10<<10+1)}, 413, "")
	batch := make([]map[string]any, 11)
	for i := range batch {
		batch[i] = map[string]any{"channel": "my-channel", "name": "forged", "data": "x"}
	}
	sdk.expectCall("batch of 11", "triggerBatch", map[string]any{"batch": batch}, 413, "")
	sdk.expectCall("after bad input", "trigger", map[string]any{"channels": "my-channel", "name": "still-here", "data": "ok"}, 200, `{}`)
	expectPusherEvent(t, cables, "a", "my-channel", "still-here", "ok") // the forged ones never arrived before it
	if !strings.Contains(srv.out.String(), "Pusher API request rejected") {
		t.Error("bad requests left no debug log line")
	}

	// Leaving and closing: member_removed, then every channel vacated.
	cables.do("leave", map[string]any{"cable": "a", "stream": "presence-room"})
	sdk.expectWebhook("member_removed", "presence-room")
	cables.do("close", map[string]any{"cable": "a"})
	for _, ch := range []string{"my-channel", "private-orders", "presence-room"} {
		sdk.expectWebhook("channel_vacated", ch)
	}
	sdk.expectCall("channels after all left", "get", map[string]any{"path": "/channels"}, 200, `{"channels":{}}`)
	expectWebhookCounts(t, sdk, "", map[string]int{"channel_occupied": 3, "channel_vacated": 3, "member_added": 1, "member_removed": 1})
	cables.quit()
	sdk.quit()
}

// expectPusherEvent takes the next message of cable on channel: the
// Pusher event as the HTTP API publishes it.
func expectPusherEvent(t *testing.T, cables *agent, cable, channel, name, data string) {
	t.Helper()
	got := cables.take(cable, channel, 1)
	want := jsonOf(map[string]string{"event": name, "data": data})
	if string(got[0].Message) != want {
		t.Fatalf("%s: got %s, want %s", channel, got[0].Message, want)
	}
}

// expectWebhookCounts checks that every webhook was valid and that each
// event name came exactly as often as want says (no duplicates), counting
// the events of channels starting with prefix (a shared Redis may hold
// other tests' presence, which expires into any node's webhooks).
func expectWebhookCounts(t *testing.T, sdk *agent, prefix string, want map[string]int) {
	t.Helper()
	r := sdk.do("webhooks", nil)
	if r["invalid"] != float64(0) {
		t.Errorf("%v webhooks failed the SDK's signature check", r["invalid"])
	}
	got := map[string]int{}
	for _, e := range r["events"].([]any) {
		if m := e.(map[string]any); strings.HasPrefix(m["channel"].(string), prefix) {
			got[m["name"].(string)]++
		}
	}
	if jsonOf(got) != jsonOf(want) {
		t.Errorf("webhook events %v, want %v (all: %s)", got, want, jsonOf(r["events"]))
	}
}

// TestPusherAPIPort: with --pusher_api_port the API is served on that
// port only (the main port answers 404 for it), as the log line says.
func TestPusherAPIPort(t *testing.T) {
	requireNode(t)
	apiPort, hookPort := freePort(t), freePort(t)
	srv := startServer(t, append([]string{"--public", "--secret=e2e-secret", "--broker=memory",
		"--pusher_api_port=" + strconv.Itoa(apiPort)}, pusherFlags(hookPort)...)...)
	want := "Handle Pusher API requests at http://" + hostPort(apiPort) + "/apps/" + pusherApp.id + "/"
	waitFor(t, srv.proc, "the Pusher API log line", func() bool { return strings.Contains(srv.out.String(), want) })
	sdk := startPusherSDK(t, apiPort, hookPort)
	sdk.expectCall("API port", "get", map[string]any{"path": "/channels"}, 200, `{"channels":{}}`)
	sdk.expectCall("main port", "as", map[string]any{"port": srv.port, "call": map[string]any{"op": "get", "path": "/channels"}}, 404, "")
	sdk.quit()
}
