package server

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func postBroadcast(t *testing.T, a *app, body string) {
	t.Helper()
	res, err := http.Post("http://"+a.bcastLn.Addr().String()+"/_broadcast", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != 201 {
		t.Fatalf("broadcast: %d", res.StatusCode)
	}
}

// Three nodes sharing Redis (broker and pub/sub): a publication accepted by
// node A reaches clients of B and C in order with offsets; a client that
// drops from A restores its session on B and catches up from history;
// presence is seen from every node.
func TestThreeNodeClusterOnRedis(t *testing.T) { clusterScenario(t, "redis") }

// The same on NATS: JetStream broker and NATS pub/sub on the system server.
func TestThreeNodeClusterOnNATS(t *testing.T) { clusterScenario(t, "nats") }

func clusterScenario(t *testing.T, engine string) {
	flags := []string{"--broker=" + engine, "--pubsub=" + engine, "--public"}
	if engine == "redis" {
		flags = append(flags, "--redis_url=redis://127.0.0.1:6379/0")
	} else {
		flags = append(flags, "--nats_servers=nats://127.0.0.1:4222")
	}
	var nodes []*app
	for i := 0; i < 3; i++ {
		nodes = append(nodes, startServer(t, append(flags, fmt.Sprintf("--http_broadcast_port=%d", freePort(t)))...))
	}
	stream := fmt.Sprintf("cluster_%s_%d", engine, time.Now().UnixNano())
	id := `{"channel":"$pubsub","stream_name":"` + stream + `"}`

	b := dial(t, nodes[1].wsURL("/cable"), "actioncable-v1-ext-json")
	c := dial(t, nodes[2].wsURL("/cable"), "actioncable-v1-ext-json")
	a := dial(t, nodes[0].wsURL("/cable"), "actioncable-v1-ext-json")
	var aSid string
	for i, cl := range []*client{b, c, a} {
		w := cl.read()
		var welcome struct{ Sid string }
		_ = json.Unmarshal([]byte(w), &welcome)
		if i == 2 {
			aSid = welcome.Sid
		}
		cl.send(map[string]string{"command": "subscribe", "identifier": id})
		if got := cl.read(); !strings.Contains(got, "confirm_subscription") {
			t.Fatalf("confirm: %s", got)
		}
	}
	// Pub/sub subscriptions are asynchronous: probe with transient messages
	// (no offsets) until every node delivers, then drain the probes.
	warmUp(t, nodes[0], stream, []*client{a, b, c})
	for i := 1; i <= 3; i++ {
		postBroadcast(t, nodes[0], fmt.Sprintf(`{"stream":%q,"data":"{\"n\":%d}"}`, stream, i))
	}
	for _, cl := range []*client{a, b, c} {
		for i := 1; i <= 3; i++ {
			got := cl.read()
			if !strings.Contains(got, fmt.Sprintf(`"message":{"n":%d}`, i)) || !strings.Contains(got, fmt.Sprintf(`"offset":%d`, i)) {
				t.Fatalf("delivery %d: %s", i, got)
			}
		}
	}

	// Presence joined on B is seen from C.
	b.send(`{"command":"join","identifier":` + quote(id) + `,"presence":{"id":"bee","info":"B"}}`)
	for _, cl := range []*client{a, b, c} {
		if got := cl.read(); !strings.Contains(got, `"type":"presence"`) || !strings.Contains(got, `"id":"bee"`) {
			t.Fatalf("join event: %s", got)
		}
	}
	c.send(`{"command":"presence","identifier":` + quote(id) + `}`)
	if got := c.read(); !strings.Contains(got, `"total":1`) || !strings.Contains(got, `"id":"bee"`) {
		t.Fatalf("presence from C: %s", got)
	}

	// A drops; two more messages are published (via node C); A restores on B
	// and catches up from history with its last offset.
	a.conn.Close()
	eventually(t, "node A to see the client leave", func() bool { return nodes[0].node.Stats().Clients.Load() == 0 })
	postBroadcast(t, nodes[2], fmt.Sprintf(`{"stream":%q,"data":"{\"n\":4}"}`, stream))
	postBroadcast(t, nodes[2], fmt.Sprintf(`{"stream":%q,"data":"{\"n\":5}"}`, stream))
	// Both have reached node B (its client got them) before A restores
	// there: the restore must find them in history, not live.
	var epoch string
	for _, cl := range []*client{b} {
		for _, n := range []int{4, 5} {
			got := cl.read()
			if !strings.Contains(got, fmt.Sprintf(`"n":%d`, n)) {
				t.Fatalf("B live %d: %s", n, got)
			}
			var m struct{ Epoch string }
			_ = json.Unmarshal([]byte(got), &m)
			epoch = m.Epoch
		}
	}
	r := dial(t, nodes[1].wsURL("/cable?sid="+aSid), "actioncable-v1-ext-json")
	if got := r.read(); !strings.Contains(got, `"restored":true`) {
		t.Fatalf("restore on B: %s", got)
	}
	r.send(`{"command":"history","identifier":` + quote(id) + `,"history":{"streams":{` + quote(stream) + `:{"epoch":"` + epoch + `","offset":3}}}}`)
	seen := map[int]bool{}
	for {
		got := r.read()
		if strings.Contains(got, "confirm_history") {
			break
		}
		for _, n := range []int{4, 5} {
			if strings.Contains(got, fmt.Sprintf(`"n":%d`, n)) {
				seen[n] = true
			}
		}
	}
	if !seen[4] || !seen[5] {
		t.Fatalf("restored client missed messages: %v", seen)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// warmUp publishes transient probes until each client has received one,
// then drains whatever probes are still on their way.
func warmUp(t *testing.T, via *app, stream string, clients []*client) {
	t.Helper()
	probe := fmt.Sprintf(`{"stream":%q,"data":"\"probe\"","meta":{"transient":true}}`, stream)
	deadline := time.Now().Add(10 * time.Second)
	for _, cl := range clients {
		for {
			if time.Now().After(deadline) {
				t.Fatal("pub/sub never delivered to every node")
			}
			postBroadcast(t, via, probe)
			if _, p, err := cl.next(300 * time.Millisecond); err == nil && strings.Contains(string(p), `"probe"`) {
				break
			}
		}
	}
	for _, cl := range clients {
		for {
			_, p, err := cl.next(300 * time.Millisecond)
			if err != nil {
				break
			}
			if !strings.Contains(string(p), `"probe"`) && !strings.Contains(string(p), `"type":"ping"`) {
				t.Fatalf("unexpected message while draining probes: %s", p)
			}
		}
	}
}
