package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/densecable/densecable/broker"

	"github.com/densecable/densecable/sessions/streams"
)

func TestHTTPBroadcastEndpoint(t *testing.T) {
	app := startTestApp(t)
	srv := startServer(t, "--rpc_host="+app.addr, "--broadcast_key=k3y", "--http_broadcast_port=0")
	c := dial(t, srv.wsURL("/cable?user=a"))
	c.read()
	id := identifier("b")
	c.send(map[string]string{"command": "subscribe", "identifier": id})
	c.read()
	// With a key and no explicit port the endpoint lives on the main port.
	post := func(key, body string) int {
		req, _ := http.NewRequest("POST", srv.httpURL("/_broadcast"), strings.NewReader(body))
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	if code := post("wrong", `{"stream":"chat_b","data":"1"}`); code != 401 {
		t.Fatalf("bad key: %d", code)
	}
	if code := post("k3y", `not json`); code != 201 {
		t.Fatalf("malformed: %d", code)
	}
	if code := post("k3y", `[{"stream":"chat_b","data":"{\"n\":1}"},{"stream":"chat_b","data":"{\"n\":2}"}]`); code != 201 {
		t.Fatalf("batch: %d", code)
	}
	for _, n := range []string{"1", "2"} {
		if got := c.read(); got != `{"identifier":`+quote(id)+`,"message":{"n":`+n+`}}` {
			t.Fatalf("broadcast %s: %s", n, got)
		}
	}
}

func TestRedisBroadcast(t *testing.T) {
	app := startTestApp(t)
	channel := fmt.Sprintf("__anycable_test_%d__", time.Now().UnixNano())
	srv := startServer(t, "--rpc_host="+app.addr, "--broadcast_adapter=redis", "--redis_url=redis://127.0.0.1:6379/0", "--redis_channel="+channel)
	rc, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{"127.0.0.1:6379"}, DisableCache: true})
	if err != nil {
		t.Fatalf("Redis must run on 127.0.0.1:6379 (.ci/run starts it): %v", err)
	}
	defer rc.Close()
	c := dial(t, srv.wsURL("/cable?user=a"))
	c.read()
	id := identifier("r")
	c.send(map[string]string{"command": "subscribe", "identifier": id})
	c.read()
	// The subscription to Redis is asynchronous: publish until it lands.
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, err := rc.Do(context.Background(), rc.B().Publish().Channel(channel).Message(`{"stream":"chat_r","data":"\"hi\""}`).Build()).AsInt64()
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("densecable never subscribed to Redis")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := c.read(); got != `{"identifier":`+quote(id)+`,"message":"hi"}` {
		t.Fatalf("got %s", got)
	}
}

func jwtToken(secret string, claims map[string]any) string {
	enc := base64.RawURLEncoding
	h := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	p, _ := json.Marshal(claims)
	body := h + "." + enc.EncodeToString(p)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return body + "." + enc.EncodeToString(m.Sum(nil))
}

func TestJWTAndSignedStreamsWithoutRPC(t *testing.T) {
	srv := startServer(t, "--norpc", "--secret=s3cr3t", "--enforce_jwt", "--streams_whisper")
	tok := jwtToken("s3cr3t", map[string]any{"ext": `{"user":"jwt"}`, "exp": time.Now().Add(time.Hour).Unix()})

	// Token as a sub-protocol, as @anycable/core sends it.
	c := dial(t, srv.wsURL("/cable"), "actioncable-v1-json", "anycable-token."+tok)
	if got := c.read(); !strings.HasPrefix(got, `{"type":"welcome","sid":"`) {
		t.Fatalf("welcome: %s", got)
	}
	signed := streams.SignStream("s3cr3t", "room:1")
	id := `{"channel":"$pubsub","signed_stream_name":"` + signed + `"}`
	c.send(map[string]string{"command": "subscribe", "identifier": id})
	if got := c.read(); got != `{"type":"confirm_subscription","identifier":`+quote(id)+`}` {
		t.Fatalf("confirm: %s", got)
	}
	// A tampered name is rejected.
	bad := `{"channel":"$pubsub","signed_stream_name":"` + signed[:len(signed)-1] + `0"}`
	c.send(map[string]string{"command": "subscribe", "identifier": bad})
	if got := c.read(); got != `{"type":"reject_subscription","identifier":`+quote(bad)+`}` {
		t.Fatalf("reject: %s", got)
	}
	// Whispers on the signed stream reach the other subscriber.
	d := dial(t, srv.wsURL("/cable?jid="+tok))
	d.read()
	d.send(map[string]string{"command": "subscribe", "identifier": id})
	d.read()
	d.send(`{"command":"whisper","identifier":` + quote(id) + `,"data":{"typing":"d"}}`)
	if got := c.read(); got != `{"identifier":`+quote(id)+`,"message":{"typing":"d"}}` {
		t.Fatalf("whisper: %s", got)
	}

	// Expired and missing tokens.
	old := jwtToken("s3cr3t", map[string]any{"ext": "{}", "exp": time.Now().Add(-time.Hour).Unix()})
	e := dial(t, srv.wsURL("/cable?jid="+old))
	if got := e.read(); got != `{"type":"disconnect","reason":"token_expired","reconnect":false}` {
		t.Fatalf("expired: %s", got)
	}
	if code, reason := e.expectClose(); code != 1000 || reason != "Auth Failed" {
		t.Fatalf("close %d %q", code, reason)
	}
	n := dial(t, srv.wsURL("/cable"))
	if got := n.read(); got != `{"type":"disconnect","reason":"unauthorized","reconnect":false}` {
		t.Fatalf("missing token: %s", got)
	}
}

func TestPublicMode(t *testing.T) {
	// --public: no auth (welcome with sid), unsigned stream names allowed.
	srv := startServer(t, "--public", "--http_broadcast_port=0")
	c := dial(t, srv.wsURL("/cable"))
	if got := c.read(); !strings.HasPrefix(got, `{"type":"welcome","sid":"`) {
		t.Fatalf("welcome: %s", got)
	}
	id := `{"channel":"$pubsub","stream_name":"news"}`
	c.send(map[string]string{"command": "subscribe", "identifier": id})
	if got := c.read(); got != `{"type":"confirm_subscription","identifier":`+quote(id)+`}` {
		t.Fatalf("confirm: %s", got)
	}
	srv.pub.HandleBroadcast(&broker.Publication{Stream: "news", Data: `"extra"`})
	if got := c.read(); got != `{"identifier":`+quote(id)+`,"message":"extra"}` {
		t.Fatalf("broadcast: %s", got)
	}
}

func TestRESTAPIPublish(t *testing.T) {
	app := startTestApp(t)
	srv := startServer(t, "--rpc_host="+app.addr, "--secret=s3cr3t")
	c := dial(t, srv.wsURL("/cable?user=a"))
	c.read()
	id := identifier("api")
	c.send(map[string]string{"command": "subscribe", "identifier": id})
	c.read()
	// The API secret is derived from --secret: hex HMAC-SHA256(secret, "api-cable").
	m := hmac.New(sha256.New, []byte("s3cr3t"))
	m.Write([]byte("api-cable"))
	key := fmt.Sprintf("%x", m.Sum(nil))
	call := func(method, path, auth, body string) int {
		req, _ := http.NewRequest(method, srv.httpURL(path), strings.NewReader(body))
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	if code := call("POST", "/api/publish", "nope", `{"stream":"chat_api","data":"1"}`); code != 401 {
		t.Fatalf("bad secret: %d", code)
	}
	if code := call("POST", "/api/publish", key, `{"stream":"chat_api","data":"{\"via\":\"api\"}"}`); code != 201 {
		t.Fatalf("publish: %d", code)
	}
	if got := c.read(); got != `{"identifier":`+quote(id)+`,"message":{"via":"api"}}` {
		t.Fatalf("got %s", got)
	}
	// No broker: presence is not available.
	if code := call("GET", "/api/presence/chat_api/users", key, ""); code != 501 {
		t.Fatalf("presence without broker: %d", code)
	}
	if code := call("GET", "/api/nothing", key, ""); code != 404 {
		t.Fatalf("unknown path: %d", code)
	}
}
