package server

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/densecable/densecable/cmd/config"
)

// startServer runs a whole densecable in-process on a free port with the
// given extra flags.
func startServer(t *testing.T, flags ...string) *app {
	t.Helper()
	// A free broadcast port: the default 8090 may be taken (make run, a
	// parallel test binary). Tests that need another one pass it later.
	args := append([]string{"--host=127.0.0.1", "--port=0", "--ignore-config-path", "--broadcast_adapter=http",
		fmt.Sprintf("--http_broadcast_port=%d", freePort(t)), "--poller=" + engineOf(t)}, flags...)
	cfg, action, err := config.Parse(args, func(string) string { return "" }, io.Discard)
	if err != nil || action != config.ActionRun {
		t.Fatalf("config: %v", err)
	}
	level := slog.LevelError
	if os.Getenv("DENSECABLE_TEST_DEBUG") != "" {
		level = slog.LevelDebug
	}
	log := newLogger(os.Stderr, level.String(), "text")
	a, err := newApp(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		a.stop(ctx)
	})
	return a
}

func (a *app) wsURL(path string) string { return "ws://" + a.ws.Addr().String() + path }

func (a *app) httpURL(path string) string { return "http://" + a.ws.Addr().String() + path }

// client is a test WebSocket client.
type client struct {
	t    *testing.T
	conn net.Conn
	rd   *bufio.Reader
	// protocol is the negotiated sub-protocol.
	protocol string
}

func dial(t *testing.T, url string, protocols ...string) *client {
	t.Helper()
	c, err := tryDial(url, nil, protocols...)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	c.t = t
	t.Cleanup(func() { c.conn.Close() })
	return c
}

func tryDial(url string, header http.Header, protocols ...string) (*client, error) {
	d := ws.Dialer{Protocols: protocols, Timeout: 5 * time.Second}
	if header != nil {
		d.Header = ws.HandshakeHeaderHTTP(header)
	}
	conn, br, hs, err := d.Dial(context.Background(), url)
	if err != nil {
		return nil, err
	}
	rd := br
	if rd == nil {
		rd = bufio.NewReader(conn)
	}
	return &client{conn: conn, rd: rd, protocol: hs.Protocol}, nil
}

func (c *client) send(v any) {
	c.t.Helper()
	var b []byte
	switch x := v.(type) {
	case string:
		b = []byte(x)
	case []byte:
		b = x
	default:
		b, _ = json.Marshal(v)
	}
	if err := wsutil.WriteClientText(c.conn, b); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

// frame reads the next data frame, skipping pings unless wanted.
func (c *client) next(timeout time.Duration) (ws.OpCode, []byte, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(timeout))
	for {
		h, err := ws.ReadHeader(c.rd)
		if err != nil {
			return 0, nil, err
		}
		payload := make([]byte, h.Length)
		if _, err := io.ReadFull(c.rd, payload); err != nil {
			return 0, nil, err
		}
		return h.OpCode, payload, nil
	}
}

// read returns the next non-ping message as a string; it fails the test
// on a timeout.
func (c *client) read() string {
	c.t.Helper()
	// One bound for the whole read: pings keep arriving, so a per-frame
	// timeout alone would wait forever for a message that never comes.
	end := time.Now().Add(10 * time.Second)
	for {
		left := time.Until(end)
		if left <= 0 {
			c.t.Fatal("read: no message within 10s (only pings)")
		}
		op, p, err := c.next(min(left, 5*time.Second))
		if err != nil {
			c.t.Fatalf("read: %v", err)
		}
		if op == ws.OpClose {
			c.t.Fatalf("unexpected close: %v", closeInfo(p))
		}
		if strings.HasPrefix(string(p), `{"type":"ping"`) {
			continue
		}
		return string(p)
	}
}

// expectClose reads until a close frame and returns its code and reason.
func (c *client) expectClose() (uint16, string) {
	c.t.Helper()
	for {
		op, p, err := c.next(5 * time.Second)
		if err != nil {
			c.t.Fatalf("waiting for close: %v", err)
		}
		if op == ws.OpClose {
			code, reason := closeCodeReason(p)
			return code, reason
		}
	}
}

// nothingWithin checks that no non-ping message arrives for d.
func (c *client) nothingWithin(d time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		op, p, err := c.next(time.Until(deadline))
		if err != nil {
			return
		}
		if op == ws.OpText && strings.HasPrefix(string(p), `{"type":"ping"`) {
			continue
		}
		c.t.Fatalf("unexpected message: %q", p)
	}
}

func closeCodeReason(p []byte) (uint16, string) {
	if len(p) < 2 {
		return 1005, ""
	}
	return uint16(p[0])<<8 | uint16(p[1]), string(p[2:])
}

func closeInfo(p []byte) string {
	code, reason := closeCodeReason(p)
	return fmt.Sprintf("%d %q", code, reason)
}

// eventually polls cond until it holds or 15 s pass (a bound for loaded
// machines, not a timing assertion).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func identifier(room string) string {
	b, _ := json.Marshal(map[string]string{"channel": "ChatChannel", "room": room})
	return string(b)
}

// forEachEngine runs a test under both poller engines; startServer picks the
// engine from the subtest name.
func forEachEngine(t *testing.T, f func(t *testing.T, engine string)) {
	for _, e := range []string{"epoll", "netpoll"} {
		t.Run(e, func(t *testing.T) { f(t, e) })
	}
}

func engineOf(t *testing.T) string {
	if strings.HasSuffix(t.Name(), "/netpoll") {
		return "netpoll"
	}
	return "epoll"
}

// expectTooSlow reads past the backlog to the too_slow disconnect message
// and the normal close that follows it.
func expectTooSlow(t *testing.T, c *client) {
	t.Helper()
	for {
		op, p, err := c.next(5 * time.Second)
		if err != nil {
			t.Fatalf("no disconnect before the connection ended: %v", err)
		}
		if op == ws.OpClose {
			t.Fatal("closed without a too_slow disconnect message")
		}
		if string(p) == `{"type":"disconnect","reason":"too_slow","reconnect":true}` {
			break
		}
	}
	if code, _ := c.expectClose(); code != 1000 {
		t.Fatalf("close %d", code)
	}
}
