package e2e

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSSEReliableStreams: EventSource clients (npm eventsource) on a
// public stream with each broker (js/sse_client.js, scenario reliable):
// welcome and confirm_subscription events, live broadcasts with
// offset/epoch/stream ids, a new EventSource sending the last id as
// Last-Event-ID gets exactly what it missed and then live messages (no
// loss, no duplicates), history_since replays the stream, raw=1 sends data
// lines only.
func TestSSEReliableStreams(t *testing.T) {
	requireNode(t)
	for _, tc := range []struct {
		name  string
		flags []string
	}{
		{"memory", []string{"--broker=memory"}},
		{"redis", []string{"--broker=redis", "--redis_url=" + sharedRedisURL}},
		{"nats", []string{"--broker=nats", "--nats_servers=" + sharedNATSURL}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			switch tc.name {
			case "redis":
				requireRedis(t, sharedRedis)
			case "nats":
				requireNATS(t, sharedNATS)
			}
			port := freePort(t)
			srv := startServerOn(t, port, append([]string{"--public", "--sse", "--broadcast_adapter=http",
				"--http_broadcast_port=" + strconv.Itoa(port)}, tc.flags...)...)
			stream := uniqueName("sse_" + tc.name)
			done := runNode(t, 60*time.Second, "sse_client.js", "--scenario=reliable",
				"--url="+srv.httpURL(""), "--broadcast="+srv.httpURL("/_broadcast"), "--stream="+stream)
			if got := jsonOf(done["opened"]); got != `["welcome","confirm_subscription"]` {
				t.Errorf("first events %s", got)
			}
			if got := jsonOf(done["live"]); got != `[1,2,3]` {
				t.Errorf("live %s", got)
			}
			if id, _ := done["lastID"].(string); !strings.HasPrefix(id, "3/") || !strings.HasSuffix(id, "/"+stream) {
				t.Errorf("last event id %q, want 3/<epoch>/%s", id, stream)
			}
			if got := jsonOf(done["replayed"]); got != `[4,5,6]` {
				t.Errorf("resumed with Last-Event-ID: %s, want [4,5,6]", got)
			}
			if got := jsonOf(done["since"]); got != `[1,2,3,4,5,6]` {
				t.Errorf("history_since: %s", got)
			}
			raw, _ := done["raw"].(string)
			if strings.Contains(raw, "event:") || !strings.Contains(raw, `data: {"n":7}`) {
				t.Errorf("raw stream %q", raw)
			}
			if done["rawType"] != "text/event-stream; charset=utf-8" {
				t.Errorf("content type %v", done["rawType"])
			}
		})
	}
}

// TestSSEWithRPCApplication: SSE in front of the @anycable/serverless-js
// application (js/serverless_app.mjs): ?identifier= subscribes through RPC
// and gets the application's broadcasts (GET: the message only); a
// connection the application refuses gets 401 (EventSource gives up), a
// rejected subscription 400 (as anycable-go answers), OPTIONS 200 with
// CORS, PUT 405, no channel or a garbage body 400; a POST with two JSONL
// subscribe commands streams both rooms with the full messages.
func TestSSEWithRPCApplication(t *testing.T) {
	requireNode(t)
	const secret = "e2e-sse-secret"
	port, appPort := freePort(t), freePort(t)
	app := startNode(t, 60*time.Second, "serverless_app.mjs",
		"--port="+strconv.Itoa(appPort), "--secret="+secret,
		"--broadcast=http://"+hostPort(port)+"/_broadcast")
	app.await("listening")
	srv := startServerOn(t, port, "--rpc_host=http://"+hostPort(appPort)+"/api/anycable",
		"--secret="+secret, "--broadcast_adapter=http", "--sse")
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("broadcast-cable"))
	done := runNode(t, 60*time.Second, "sse_client.js", "--scenario=rpc",
		"--url="+srv.httpURL(""), "--broadcast="+srv.httpURL("/_broadcast"), "--key="+hex.EncodeToString(mac.Sum(nil)))

	lobby := `{"channel":"chat","room":"lobby"}`
	if done["welcome"] != "welcome" {
		t.Errorf("welcome %v", done["welcome"])
	}
	if got := jsonOf(done["confirm"]); got != jsonOf(map[string]any{"type": "confirm_subscription", "identifier": lobby}) {
		t.Errorf("confirm %s", got)
	}
	if got := jsonOf(done["message"]); got != `{"n":1,"text":"hi"}` {
		t.Errorf("GET data is the message only: %s", got)
	}
	for name, want := range map[string]int{"refused": 401, "rejected": 400, "options": 200, "wrongMethod": 405, "noChannel": 400, "badBody": 400} {
		got, _ := done[name].(map[string]any)
		if got["status"] != float64(want) {
			t.Errorf("%s: %s, want status %d", name, jsonOf(got), want)
		}
		if got["origin"] != "*" {
			t.Errorf("%s: CORS origin %v", name, got["origin"])
		}
	}
	if got := jsonOf(done["deniedErr"]); got != `{"state":2,"status":401}` {
		t.Errorf("EventSource on a refused connection: %s, want closed after 401", got)
	}
	if done["postStatus"] != float64(200) {
		t.Errorf("POST status %v", done["postStatus"])
	}
	post, _ := done["post"].(string)
	for _, want := range []string{
		`data: {"identifier":"{\"channel\":\"chat\",\"room\":\"a\"}","message":{"n":1}`,
		`data: {"identifier":"{\"channel\":\"chat\",\"room\":\"b\"}","message":{"n":2}`,
	} {
		if !strings.Contains(post, want) {
			t.Errorf("POST stream lacks %s:\n%s", want, post)
		}
	}
	if n := strings.Count(post, "event: confirm_subscription"); n != 2 {
		t.Errorf("POST stream: %d confirmations, want 2:\n%s", n, post)
	}
}

// TestSSEAcrossNodesAndRestart: two nodes over Redis (broker and pub/sub).
// An EventSource on node A receives what is published on node B; when A
// shuts down the client gets the documented disconnect event
// (server_restart, reconnect: true); what B publishes meanwhile reaches it
// after A is back, through EventSource's own reconnect with
// Last-Event-ID, followed by live messages, with no duplicates.
func TestSSEAcrossNodesAndRestart(t *testing.T) {
	requireNode(t)
	requireRedis(t, sharedRedis)
	nodes := startNodes(t, 2, nil, "--sse", "--broker=redis", "--pubsub=redis",
		"--broadcast_adapter=http", "--redis_url="+sharedRedisURL)
	a, b := nodes[0], nodes[1]
	stream := uniqueName("sse_cluster")
	js := startNode(t, 90*time.Second, "sse_client.js", "--scenario=restart",
		"--url="+a.httpURL(""), "--broadcast="+b.broadcastURL(), "--stream="+stream)
	js.await("ready")
	if err := a.stop(); err != nil {
		t.Fatalf("node A exited with %v", err)
	}
	js.await("published")
	a.restartNode(t)
	js.send("restarted")
	done := js.finish()
	if got := jsonOf(done["before"]); got != `[1]` {
		t.Errorf("broadcast from node B: %s", got)
	}
	if got := jsonOf(done["disconnect"]); got != `{"reason":"server_restart","reconnect":true,"type":"disconnect"}` {
		t.Errorf("shutdown event %s", got)
	}
	if got := jsonOf(done["after"]); got != `[2,3]` {
		t.Errorf("after the restart: %s, want [2,3]", got)
	}
}

// TestSSEJWTAndSignedStreams: without RPC, SSE takes the WebSocket's
// authentication: --enforce_jwt refuses a request without a token (401),
// a forged or expired token (401); the token in ?jid= or in X-JID with a
// signed stream gets the stream (200, a confirmation); a tampered
// signature is a rejected subscription (400). The allowed origin is named
// in CORS, another origin is not.
func TestSSEJWTAndSignedStreams(t *testing.T) {
	const secret = "e2e-sse-jwt"
	srv := startServer(t, "--norpc", "--secret="+secret, "--enforce_jwt", "--sse",
		"--allowed_origins=app.example.com")
	now := time.Now()
	good := jwtHS256(t, secret, map[string]string{"user": "alice"}, now.Add(time.Hour))
	signed := signedStream(t, secret, "room_1")
	get := func(query string, header map[string]string) (int, string, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.httpURL("/events?"+query), nil)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		res, err := http.DefaultClient.Do(req.WithContext(ctx))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		text := ""
		if res.StatusCode == http.StatusOK {
			// Read up to the confirmation, then leave.
			br := bufio.NewReader(res.Body)
			for !strings.Contains(text, `"type":"confirm_subscription"`) {
				line, err := br.ReadString('\n')
				if err != nil {
					t.Fatalf("%s: stream ended: %v after %q", query, err, text)
				}
				text += line
			}
		}
		return res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"), text
	}
	q := "signed_stream=" + url.QueryEscape(signed)
	for _, tc := range []struct {
		name   string
		query  string
		header map[string]string
		want   int
	}{
		{"no token", q, nil, 401},
		{"forged token", q + "&jid=" + jwtHS256(t, "other", map[string]string{"user": "m"}, now.Add(time.Hour)), nil, 401},
		{"expired token", q + "&jid=" + jwtHS256(t, secret, map[string]string{"user": "a"}, now.Add(-time.Minute)), nil, 401},
		{"token in the query", q + "&jid=" + good, map[string]string{"Origin": "https://app.example.com"}, 200},
		{"token in X-JID", q, map[string]string{"X-JID": good, "Origin": "https://evil.example.org"}, 200},
		{"tampered signed stream", "signed_stream=" + url.QueryEscape(tamper(signed)) + "&jid=" + good, nil, 400},
	} {
		status, origin, text := get(tc.query, tc.header)
		if status != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, status, tc.want)
		}
		switch tc.header["Origin"] {
		case "https://app.example.com":
			if origin != "https://app.example.com" {
				t.Errorf("%s: allowed origin not named in CORS: %q", tc.name, origin)
			}
		case "https://evil.example.org":
			if origin != "" {
				t.Errorf("%s: CORS allows %q", tc.name, origin)
			}
		}
		if tc.want == 200 && !strings.Contains(text, `"signed_stream_name":`) {
			t.Errorf("%s: confirmation %q", tc.name, text)
		}
	}
}
