package e2e

import (
	"regexp"
	"strconv"
	"testing"
	"time"
)

const (
	pusherWSKey    = "e2e-pusher-key"
	pusherWSSecret = "e2e-pusher-secret"
)

func pusherWSFlags() []string {
	return []string{"--pusher_app_id=e2e-app", "--pusher_app_key=" + pusherWSKey, "--pusher_secret=" + pusherWSSecret}
}

// TestPusherClients drives one node with pusher-js and Laravel Echo:
// public, private and presence channels, whispers, events published in
// the Pusher event shape through the HTTP broadcaster, and bad input
// (forged channel auth, wrong key, old protocol, malformed JSON, client
// events on a public channel, a client event flood).
func TestPusherClients(t *testing.T) {
	requireNode(t)
	bport := freePort(t)
	// One client event a second: no client here sends more, except the flood.
	s := startServer(t, append(pusherWSFlags(), "--norpc", "--broker=memory", "--pusher_client_event_rate=1",
		"--broadcast_adapter=http", "--http_broadcast_port="+strconv.Itoa(bport))...)
	got := runNode(t, 90*time.Second, "pusher_client.mjs", "--scenario=single",
		"--port="+strconv.Itoa(s.port), "--broadcast=http://"+hostPort(bport)+"/_broadcast",
		"--key="+pusherWSKey, "--secret="+pusherWSSecret, "--suffix="+uniqueName("p"))

	if id, _ := got["socketId"].(string); !regexp.MustCompile(`^\d+\.\d+$`).MatchString(id) {
		t.Errorf("socket_id %q", id)
	}
	want := map[string]string{
		"publicEvent":       `{"title":"hi"}`,
		"annShipped":        `{"id":42}`,
		"bobShipped":        `{"id":42}`,
		"annWhisper":        `{"name":"Bob"}`,
		"bobWhisper":        `{"name":"Ann"}`,
		"bobOwnWhispers":    `0`,
		"annHere":           `[{"name":"Ann"}]`,
		"joined":            `{"name":"Bob"}`,
		"wave":              `{"from":"bob2"}`,
		"left":              `{"name":"Bob"}`,
		"joinedCount":       `1`,
		"leftCount":         `1`,
		"forged":            `{"error":"Invalid signature","status":401,"type":"AuthError"}`,
		"publicClientEvent": `{"code":null,"message":"Client events are only supported on private and presence channels"}`,
		"wrongKey":          `{"close":4001,"error":{"code":4001,"message":"Application does not exist"}}`,
		"oldProtocol":       `{"close":4007,"error":{"code":4007,"message":"Unsupported protocol version"}}`,
		"flood":             `{"close":4301,"error":{"code":4301,"message":"too_many_requests"}}`,
	}
	for k, w := range want {
		if g := jsonOf(got[k]); g != w {
			t.Errorf("%s = %s, want %s", k, g, w)
		}
	}
	if g := jsonOf(got.field("bobHere")); g != `[{"name":"Ann"},{"name":"Bob"}]` && g != `[{"name":"Bob"},{"name":"Ann"}]` {
		t.Errorf("bobHere = %s", g)
	}
	if m, _ := got.field("malformed.message").(string); m == "" || got.field("malformed.code") != nil {
		t.Errorf("malformed = %s", jsonOf(got["malformed"]))
	}
}

// TestPusherPresenceAcrossNodes: two nodes over Redis pub/sub and the
// Redis broker; a user with sockets on both nodes is added once and
// removed once, members are listed across nodes, events cross nodes.
func TestPusherPresenceAcrossNodes(t *testing.T) {
	requireNode(t)
	requireRedis(t, sharedRedis)
	nodes := startNodes(t, 2, nil, append(pusherWSFlags(), "--broker=redis", "--pubsub=redis",
		"--broadcast_adapter=http", "--redis_url="+sharedRedisURL)...)
	got := runNode(t, 90*time.Second, "pusher_client.mjs", "--scenario=cluster",
		"--port1="+strconv.Itoa(nodes[0].port), "--port2="+strconv.Itoa(nodes[1].port),
		"--broadcast1="+nodes[0].broadcastURL(), "--key="+pusherWSKey, "--secret="+pusherWSSecret, "--suffix="+uniqueName("p"))
	want := map[string]string{
		"uMembers":     `["obs","u"]`,
		"firstAdded":   `"u"`,
		"crossNode":    `{"x":1}`,
		"removed":      `"u"`,
		"secondAdded":  `"v"`,
		"extraAdded":   `0`,
		"extraRemoved": `0`,
	}
	for k, w := range want {
		if g := jsonOf(got[k]); g != w {
			t.Errorf("%s = %s, want %s", k, g, w)
		}
	}
}
