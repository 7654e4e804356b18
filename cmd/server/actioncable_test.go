package server

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/densecable/densecable/broker"
)

func TestChatLifecycle(t *testing.T) { forEachEngine(t, chatLifecycle) }

func chatLifecycle(t *testing.T, engine string) {
	app := startTestApp(t)
	srv := startServer(t, "--rpc_host="+app.addr)

	alice := dial(t, srv.wsURL("/cable?user=alice"), "actioncable-v1-json")
	if alice.protocol != "actioncable-v1-json" {
		t.Fatalf("protocol %q", alice.protocol)
	}
	if got := alice.read(); got != `{"type":"welcome"}` {
		t.Fatalf("welcome: %s", got)
	}
	id := identifier("42")
	alice.send(map[string]string{"command": "subscribe", "identifier": id})
	if got, want := alice.read(), `{"type":"confirm_subscription","identifier":`+quote(id)+`}`; got != want {
		t.Fatalf("confirm: %s, want %s", got, want)
	}

	bob := dial(t, srv.wsURL("/cable?user=bob"))
	bob.read()
	bob.send(map[string]string{"command": "subscribe", "identifier": id})
	bob.read()

	// A broadcast reaches both, with the payload normalised like the reference.
	srv.pub.HandleBroadcast(&broker.Publication{Stream: "chat_42", Data: `{"z":1,"a":"<b>"}`})
	want := `{"identifier":` + quote(id) + `,"message":{"a":"\u003cb\u003e","z":1}}`
	if got := alice.read(); got != want {
		t.Fatalf("alice broadcast: %s\nwant %s", got, want)
	}
	if got := bob.read(); got != want {
		t.Fatalf("bob broadcast: %s", got)
	}

	// exclude_socket skips one session.
	srv.pub.HandleBroadcast(&broker.Publication{Stream: "chat_42", Data: `"x"`, Meta: broker.Meta{ExcludeSocket: firstSid(t, app, 0)}})
	if got := bob.read(); !strings.Contains(got, `"message":"x"`) {
		t.Fatalf("bob: %s", got)
	}
	alice.nothingWithin(200 * time.Millisecond)

	// Perform goes through RPC and the transmission comes back unchanged.
	alice.send(map[string]string{"command": "message", "identifier": id, "data": `{"action":"echo","text":"hi"}`})
	if got := alice.read(); got != `{"identifier":`+quote(id)+`,"message":{"action":"echo","text":"hi"}}` {
		t.Fatalf("echo: %s", got)
	}

	// Connection and channel state are sent back with later calls.
	alice.send(map[string]string{"command": "message", "identifier": id, "data": `{"action":"state"}`})
	if got := alice.read(); !strings.Contains(got, `"cstate":{"user":"alice"}`) || !strings.Contains(got, `"istate":{"$w":"chat_42","room":"42"}`) {
		t.Fatalf("state: %s", got)
	}

	// Whispers reach the others, never the sender.
	alice.send(`{"command":"whisper","identifier":` + quote(id) + `,"data":{"typing":true}}`)
	if got := bob.read(); got != `{"identifier":`+quote(id)+`,"message":{"typing":true}}` {
		t.Fatalf("whisper: %s", got)
	}
	alice.nothingWithin(200 * time.Millisecond)

	// Unsubscribe stops deliveries.
	alice.send(map[string]string{"command": "unsubscribe", "identifier": id})
	// Commands of one client run in order: the pong means the unsubscribe is done.
	alice.send(`{"command":"ping"}`)
	if got := alice.read(); got != `{"type":"pong"}` {
		t.Fatalf("pong: %s", got)
	}
	srv.pub.HandleBroadcast(&broker.Publication{Stream: "chat_42", Data: `"after"`})
	if got := bob.read(); !strings.Contains(got, `"after"`) {
		t.Fatalf("bob after: %s", got)
	}
	alice.nothingWithin(200 * time.Millisecond)

	// Closing the socket makes a Disconnect call with identifiers, the
	// remaining subscriptions and each channel's state as JSON.
	bob.conn.Close()
	eventually(t, "Disconnect call", func() bool { return len(app.disconnectCalls()) == 1 })
	d := app.disconnectCalls()[0]
	if d.Identifiers != `{"user":"bob"}` || len(d.Subscriptions) != 1 || d.Subscriptions[0] != id {
		t.Fatalf("disconnect request: %+v", d)
	}
	if d.Env.Istate[id] != `{"$w":"chat_42","room":"42"}` || d.Env.Cstate["user"] != "bob" {
		t.Fatalf("disconnect env: %+v", d.Env)
	}
}

func firstSid(t *testing.T, app *testApp, i int) string {
	t.Helper()
	app.mu.Lock()
	defer app.mu.Unlock()
	if len(app.sids) <= i {
		t.Fatal("no sid recorded")
	}
	return app.sids[i]
}

func quote(s string) string {
	var b bytes.Buffer
	b.WriteByte('"')
	b.WriteString(strings.ReplaceAll(s, `"`, `\"`))
	b.WriteByte('"')
	return b.String()
}

func TestConnectOutcomes(t *testing.T) { forEachEngine(t, connectOutcomes) }

func connectOutcomes(t *testing.T, engine string) {
	app := startTestApp(t)
	srv := startServer(t, "--rpc_host="+app.addr)

	// FAILURE: the app's transmissions, then 1000 "Auth Failed".
	c := dial(t, srv.wsURL("/cable"))
	if got := c.read(); got != `{"type":"disconnect","reason":"unauthorized","reconnect":false}` {
		t.Fatalf("failure transmission: %s", got)
	}
	if code, reason := c.expectClose(); code != 1000 || reason != "Auth Failed" {
		t.Fatalf("close %d %q", code, reason)
	}

	// ERROR: no message, 1011 "Auth Error".
	c = dial(t, srv.wsURL("/cable?user=boom"))
	if code, reason := c.expectClose(); code != 1011 || reason != "Auth Error" {
		t.Fatalf("close %d %q", code, reason)
	}
}

func TestRPCDown(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	srv := startServer(t, "--rpc_host="+addr, "--rpc_command_timeout=300")
	c := dial(t, srv.wsURL("/cable?user=a"))
	if code, reason := c.expectClose(); code != 1011 || reason != "Auth Error" {
		t.Fatalf("close %d %q", code, reason)
	}
}

func TestBadInputKeepsConnection(t *testing.T) { forEachEngine(t, badInputKeepsConnection) }

func badInputKeepsConnection(t *testing.T, engine string) {
	app := startTestApp(t)
	srv := startServer(t, "--rpc_host="+app.addr, "--max_message_size=1024")
	c := dial(t, srv.wsURL("/cable?user=a"))
	c.read()
	c.send(`{not json`)
	c.send(`{"command":"dance","identifier":"x"}`)
	c.send(map[string]string{"command": "message", "identifier": "unknown", "data": "{}"})
	c.send(map[string]string{"command": "subscribe", "identifier": `{"channel":"Nope"}`})
	if got := c.read(); got != `{"type":"reject_subscription","identifier":"{\"channel\":\"Nope\"}"}` {
		t.Fatalf("reject: %s", got)
	}
	// A binary frame on the JSON protocol is read like a text one, as the
	// reference does: a command in it is processed, garbage is ignored.
	if err := wsutil.WriteClientBinary(c.conn, []byte(`{"command":"subscribe","identifier":"{\"channel\":\"Nope\"}"}`)); err != nil {
		t.Fatal(err)
	}
	if got := c.read(); got != `{"type":"reject_subscription","identifier":"{\"channel\":\"Nope\"}"}` {
		t.Fatalf("command in a binary frame: %s", got)
	}
	if err := wsutil.WriteClientBinary(c.conn, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	c.send(`{"command":"ping"}`)
	if got := c.read(); got != `{"type":"pong"}` {
		t.Fatalf("still alive: %s", got)
	}
	// Over the size limit: close 1009.
	c.send(strings.Repeat("x", 2000))
	if code, _ := c.expectClose(); code != 1009 {
		t.Fatalf("close %d", code)
	}
	// Others carry on.
	d := dial(t, srv.wsURL("/cable?user=b"))
	if got := d.read(); got != `{"type":"welcome"}` {
		t.Fatalf("second client: %s", got)
	}
}

func TestInvalidUTF8Closes1007(t *testing.T) { forEachEngine(t, invalidUTF8Closes1007) }

func invalidUTF8Closes1007(t *testing.T, engine string) {
	app := startTestApp(t)
	srv := startServer(t, "--rpc_host="+app.addr)
	c := dial(t, srv.wsURL("/cable?user=a"))
	c.read()
	if err := wsutil.WriteClientText(c.conn, []byte{0xff, 0xfe}); err != nil {
		t.Fatal(err)
	}
	if code, _ := c.expectClose(); code != 1007 {
		t.Fatalf("close %d", code)
	}
}

func TestCommandDisconnect(t *testing.T) {
	app := startTestApp(t)
	srv := startServer(t, "--rpc_host="+app.addr)
	c := dial(t, srv.wsURL("/cable?user=a"))
	c.read()
	id := identifier("1")
	c.send(map[string]string{"command": "subscribe", "identifier": id})
	c.read()
	c.send(map[string]string{"command": "message", "identifier": id, "data": `{"action":"kick"}`})
	if code, reason := c.expectClose(); code != 1006 || reason != "Command Failed" {
		t.Fatalf("close %d %q", code, reason)
	}
}

func TestRemoteDisconnect(t *testing.T) {
	app := startTestApp(t)
	srv := startServer(t, "--rpc_host="+app.addr)
	c := dial(t, srv.wsURL("/cable?user=carol"))
	c.read()
	// No wait here: a client that has its welcome is registered, so the
	// command sent right after it must find the session (it did not when
	// the welcome went out first: 3 failures in 30 runs).
	srv.pub.HandleCommand(&broker.RemoteCommand{Command: "disconnect", Identifier: `{"user":"carol"}`, Reconnect: true})
	if got := c.read(); got != `{"type":"disconnect","reason":"remote","reconnect":true}` {
		t.Fatalf("remote: %s", got)
	}
	if code, reason := c.expectClose(); code != 1000 || reason != "Closed remotely" {
		t.Fatalf("close %d %q", code, reason)
	}
}

func TestPingsAndPrecision(t *testing.T) {
	app := startTestApp(t)
	srv := startServer(t, "--rpc_host="+app.addr, "--ping_interval=1")
	c := dial(t, srv.wsURL("/cable?user=a&ptp=ms"))
	c.read()
	for {
		_, p, err := c.next(3 * time.Second)
		if err != nil {
			t.Fatalf("no ping: %v", err)
		}
		s := string(p)
		if strings.HasPrefix(s, `{"type":"ping","message":`) {
			digits := strings.TrimSuffix(strings.TrimPrefix(s, `{"type":"ping","message":`), "}")
			if len(digits) != 13 {
				t.Fatalf("ms precision ping: %s", s)
			}
			return
		}
	}
}

func TestHTTPOnTheSamePort(t *testing.T) { forEachEngine(t, hTTPOnTheSamePort) }

func hTTPOnTheSamePort(t *testing.T, engine string) {
	app := startTestApp(t)
	srv := startServer(t, "--rpc_host="+app.addr)
	res, err := http.Get(srv.httpURL("/health"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(body) != "Ah, ha, ha, ha, stayin' alive, stayin' alive." {
		t.Fatalf("health: %d %q", res.StatusCode, body)
	}
	// A plain GET to the WebSocket path.
	res, err = http.Get(srv.httpURL("/cable"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 400 || string(body) != "Bad Request\n" || res.Header.Get("Sec-Websocket-Version") != "13" {
		t.Fatalf("plain GET: %d %q %v", res.StatusCode, body, res.Header)
	}
	// Garbage and a half-sent request do not disturb anything.
	g, err := net.Dial("tcp", srv.ws.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	g.Write([]byte("\x00\x01garbage\r\n\r\n"))
	g.Close()
	h, _ := net.Dial("tcp", srv.ws.Addr().String())
	h.Write([]byte("GET /cable HTTP/1.1\r\nHost: x\r\n"))
	defer h.Close()
	c := dial(t, srv.wsURL("/cable?user=ok"))
	if got := c.read(); got != `{"type":"welcome"}` {
		t.Fatalf("after garbage: %s", got)
	}
}

func TestAllowedOrigins(t *testing.T) {
	app := startTestApp(t)
	srv := startServer(t, "--rpc_host="+app.addr, "--allowed_origins=*.example.com")
	_, err := tryDial(srv.wsURL("/cable?user=a"), http.Header{"Origin": {"https://evil.io"}})
	if err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("want 403, got %v", err)
	}
	c, err := tryDial(srv.wsURL("/cable?user=a"), http.Header{"Origin": {"https://app.example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.conn.Close()
}

func TestPathPatterns(t *testing.T) {
	app := startTestApp(t)
	srv := startServer(t, "--rpc_host="+app.addr, "--path=/cable,/admin/cable/*,/accounts/{tenant}/cable")
	for _, p := range []string{"/cable", "/admin/cable/x/y", "/accounts/acme/cable"} {
		c := dial(t, srv.wsURL(p+"?user=a"))
		if got := c.read(); got != `{"type":"welcome"}` {
			t.Fatalf("%s: %s", p, got)
		}
	}
	if _, err := tryDial(srv.wsURL("/accounts/cable"), nil); err == nil {
		t.Fatal("unmatched path must not upgrade")
	}
}

func TestGracefulShutdown(t *testing.T) { forEachEngine(t, gracefulShutdown) }

func gracefulShutdown(t *testing.T, engine string) {
	app := startTestApp(t)
	srv := startServer(t, "--rpc_host="+app.addr)
	c := dial(t, srv.wsURL("/cable?user=a"))
	c.read()
	c.send(map[string]string{"command": "subscribe", "identifier": identifier("9")})
	c.read()
	done := make(chan struct{})
	go func() {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		srv.stop(ctx)
		close(done)
	}()
	if got := c.read(); got != `{"type":"disconnect","reason":"server_restart","reconnect":true}` {
		t.Fatalf("shutdown message: %s", got)
	}
	if code, reason := c.expectClose(); code != 1001 || reason != "Server restart" {
		t.Fatalf("close %d %q", code, reason)
	}
	<-done
	if calls := app.disconnectCalls(); len(calls) != 1 || calls[0].Identifiers != `{"user":"a"}` {
		t.Fatalf("Disconnect calls flushed at shutdown: %+v", calls)
	}
}

func TestNoAuthWelcomeHasSid(t *testing.T) {
	srv := startServer(t, "--noauth", "--norpc")
	hdr := http.Header{"X-Request-ID": {"my-req-1"}}
	c, err := tryDial(srv.wsURL("/cable"), hdr)
	if err != nil {
		t.Fatal(err)
	}
	c.t = t
	defer c.conn.Close()
	if got := c.read(); got != `{"type":"welcome","sid":"my-req-1"}` {
		t.Fatalf("welcome: %s", got)
	}
	_ = ws.OpText
}

// A client-chosen ping interval costs nothing however large (2147483647
// used to end the process with "out of memory").
func TestHugePingIntervalIsHarmless(t *testing.T) {
	srv := startServer(t, "--noauth", "--norpc")
	for _, pi := range []string{"2147483647", "99999999999999999999", "100000", "100001", "1.5"} {
		c := dial(t, srv.wsURL("/cable?pi="+pi))
		if got := c.read(); !strings.HasPrefix(got, `{"type":"welcome"`) {
			t.Fatalf("pi=%s: %s", pi, got)
		}
	}
	d := dial(t, srv.wsURL("/cable"))
	if got := d.read(); !strings.HasPrefix(got, `{"type":"welcome"`) {
		t.Fatalf("after huge intervals: %s", got)
	}
}

func TestMetricsEndpoint(t *testing.T) {
	app := startTestApp(t)
	srv := startServer(t, "--rpc_host="+app.addr, "--metrics_http=/metrics")
	c := dial(t, srv.wsURL("/cable?user=m"))
	c.read()
	eventually(t, "clients_num 1", func() bool {
		res, err := http.Get(srv.httpURL("/metrics"))
		if err != nil {
			return false
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return strings.Contains(string(body), "\nanycable_go_clients_num 1\n") &&
			strings.Contains(string(body), "\nanycable_go_rpc_call_total 1\n") &&
			strings.Contains(string(body), "# TYPE anycable_go_goroutines_num gauge")
	})
}

func TestSlowClientGetsTooSlow(t *testing.T) { forEachEngine(t, slowClientGetsTooSlow) }

func slowClientGetsTooSlow(t *testing.T, engine string) {
	app := startTestApp(t)
	srv := startServer(t, "--rpc_host="+app.addr, "--ws_max_pending_size=65536", "--ws_write_timeout=30")
	c := dial(t, srv.wsURL("/cable?user=slow"))
	c.read()
	id := identifier("slow")
	c.send(map[string]string{"command": "subscribe", "identifier": id})
	c.read()
	payload := `"` + strings.Repeat("z", 16<<10) + `"`
	for i := 0; i < 4000 && srv.node.Stats().SlowClients.Load() == 0; i++ {
		srv.pub.HandleBroadcast(&broker.Publication{Stream: "chat_slow", Data: payload})
		if i%100 == 99 {
			// Pacing, not a wait: lets the writer run so the backlog
			// grows in the socket and in the queue, as under real load.
			time.Sleep(10 * time.Millisecond)
		}
	}
	eventually(t, "the slow client to be cut off", func() bool { return srv.node.Stats().SlowClients.Load() > 0 })
	// Reading now: the backlog, then the disconnect and the close.
	expectTooSlow(t, c)
}

func TestPongTimeout(t *testing.T) {
	app := startTestApp(t)
	srv := startServer(t, "--rpc_host="+app.addr, "--ping_interval=1", "--pong_timeout=1")
	// The extended protocol enforces pongs; a silent client is cut off.
	c := dial(t, srv.wsURL("/cable?user=quiet"), "actioncable-v1-ext-json")
	if c.protocol != "actioncable-v1-ext-json" {
		t.Fatalf("protocol %q", c.protocol)
	}
	for {
		_, p, err := c.next(10 * time.Second)
		if err != nil {
			t.Fatalf("no no_pong disconnect: %v", err)
		}
		if string(p) == `{"type":"disconnect","reason":"no_pong","reconnect":true}` {
			break
		}
	}
	if code, reason := c.expectClose(); code != 1000 || reason != "No Pong" {
		t.Fatalf("close %d %q", code, reason)
	}
	// A client that answers pings stays.
	d := dial(t, srv.wsURL("/cable?user=talkative"), "actioncable-v1-ext-json")
	deadline := time.Now().Add(4 * time.Second)
	for time.Now().Before(deadline) {
		_, p, err := d.next(3 * time.Second)
		if err != nil {
			t.Fatalf("talkative client lost: %v", err)
		}
		if strings.Contains(string(p), "disconnect") {
			t.Fatalf("talkative client disconnected: %s", p)
		}
		if strings.HasPrefix(string(p), `{"type":"ping"`) {
			d.send(`{"command":"pong"}`)
		}
	}
}

// A client that floods commands while its previous one waits on RPC is cut
// off instead of growing its queue without bound.
func TestCommandFloodIsBounded(t *testing.T) {
	app := startTestApp(t)
	srv := startServer(t, "--rpc_host="+app.addr)
	c := dial(t, srv.wsURL("/cable?user=flood"))
	c.read()
	id := identifier("f")
	c.send(map[string]string{"command": "subscribe", "identifier": id})
	c.read()
	c.send(map[string]string{"command": "message", "identifier": id, "data": `{"action":"sleep"}`})
	var buf []byte
	for i := 0; i < 300; i++ {
		buf = append(buf, mustClientFrame(`{"command":"ping"}`)...)
	}
	if _, err := c.conn.Write(buf); err != nil {
		t.Fatal(err)
	}
	// Told why (and that it may come back), then closed with 1008.
	deadline := time.Now().Add(10 * time.Second)
	for {
		op, p, err := c.next(time.Until(deadline))
		if err != nil || op == ws.OpClose {
			t.Fatalf("no too_many_requests disconnect: %v %q", err, p)
		}
		if string(p) == `{"type":"disconnect","reason":"too_many_requests","reconnect":true}` {
			break
		}
	}
	if code, reason := c.expectClose(); code != 1008 || reason != "Too many messages" {
		t.Fatalf("close %d %q", code, reason)
	}
	// Others are unaffected.
	d := dial(t, srv.wsURL("/cable?user=calm"))
	if got := d.read(); got != `{"type":"welcome"}` {
		t.Fatalf("other client: %s", got)
	}
}

func mustClientFrame(s string) []byte {
	var b bytes.Buffer
	_ = ws.WriteFrame(&b, ws.MaskFrame(ws.NewTextFrame([]byte(s))))
	return b.Bytes()
}
