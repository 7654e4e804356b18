package wsframe

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

func TestAcceptMatchesRFCExample(t *testing.T) {
	// RFC 6455 §1.3 example.
	got := Accept([]byte("dGhlIHNhbXBsZSBub25jZQ=="))
	if string(got[:]) != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("accept = %s", got)
	}
}

func TestKeyIsDeterministicAndDistinct(t *testing.T) {
	a, b := Key(42, 1), Key(42, 2)
	if a != Key(42, 1) || a == b {
		t.Fatal("keys must be reproducible and differ per index")
	}
}

func TestParseResponseIncompleteAndMalformed(t *testing.T) {
	resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n" +
		"Sec-WebSocket-Accept: abc\r\nSec-WebSocket-Protocol: actioncable-v1-json\r\n\r\n"
	for cut := 0; cut < len(resp); cut++ {
		if _, n, err := ParseResponse([]byte(resp[:cut])); n != 0 || err != nil {
			t.Fatalf("cut %d: n=%d err=%v", cut, n, err)
		}
	}
	r, n, err := ParseResponse([]byte(resp + "\x81\x00"))
	if err != nil || n != len(resp) || r.Status != 101 || !r.Upgrade || !r.Connection ||
		string(r.Accept) != "abc" || string(r.Protocol) != "actioncable-v1-json" {
		t.Fatalf("parsed %+v n=%d err=%v", r, n, err)
	}
	for _, bad := range []string{"HTTP/1.1 1x1 OK\r\n\r\n", "garbage\r\n\r\n", "HTTP/1.1 101 OK\r\nNoColon\r\n\r\n"} {
		if _, _, err := ParseResponse([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, _, err := ParseResponse(bytes.Repeat([]byte("a"), MaxResponseHeader+1)); err != ErrHeaderTooLarge {
		t.Fatalf("oversized head: %v", err)
	}
}

func TestCheckRejectsWrongAnswers(t *testing.T) {
	key := Key(1, 1)
	acc := Accept(key[:])
	good := Response{Status: 101, Upgrade: true, Connection: true, Accept: acc[:], Protocol: []byte("p")}
	if err := good.Check(key[:], "p"); err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]Response{
		"status":   {Status: 400, Upgrade: true, Connection: true, Accept: acc[:]},
		"accept":   {Status: 101, Upgrade: true, Connection: true, Accept: []byte("nope")},
		"upgrade":  {Status: 101, Connection: true, Accept: acc[:]},
		"protocol": {Status: 101, Upgrade: true, Connection: true, Accept: acc[:], Protocol: []byte("q")},
	} {
		if err := r.Check(key[:], "p"); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestAgainstGobwasServer runs the whole client half against an independent
// server implementation: upgrade with a sub-protocol, frames of every length
// class both ways, ping and close.
func TestAgainstGobwasServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	sizes := []int{3, 126, 70000}
	srvErr := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			srvErr <- err
			return
		}
		defer c.Close()
		u := ws.Upgrader{Protocol: func(p []byte) bool { return string(p) == "actioncable-v1-json" }}
		if _, err := u.Upgrade(c); err != nil {
			srvErr <- err
			return
		}
		for _, n := range sizes {
			if err := wsutil.WriteServerMessage(c, ws.OpText, bytes.Repeat([]byte{'s'}, n)); err != nil {
				srvErr <- err
				return
			}
			// Echo what the client sends back, proving its masking is right.
			msg, op, err := wsutil.ReadClientData(c)
			if err != nil || op != ws.OpBinary || len(msg) != n || msg[n-1] != 'c' {
				srvErr <- err
				return
			}
		}
		_ = ws.WriteFrame(c, ws.NewPingFrame([]byte("hi")))
		_ = ws.WriteFrame(c, ws.NewCloseFrame(ws.NewCloseFrameBody(ws.StatusGoingAway, "bye")))
		srvErr <- nil
	}()

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	key := Key(7, 9)
	req := AppendRequest(nil, &Request{Host: ln.Addr().String(), Path: "/cable", Origin: "http://localhost", Protocol: "actioncable-v1-json"}, key[:])
	if _, err := c.Write(req); err != nil {
		t.Fatal(err)
	}
	var buf []byte
	chunk := make([]byte, 4096)
	fill := func() {
		n, err := c.Read(chunk)
		if err != nil && err != io.EOF {
			t.Fatal(err)
		}
		if n == 0 {
			t.Fatal("server closed early")
		}
		buf = append(buf, chunk[:n]...)
	}
	for {
		r, n, err := ParseResponse(buf)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			if err := r.Check(key[:], "actioncable-v1-json"); err != nil {
				t.Fatal(err)
			}
			buf = buf[n:]
			break
		}
		fill()
	}
	next := func() Frame {
		for {
			f, n, err := Parse(buf, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if n > 0 {
				f.Payload = append([]byte(nil), f.Payload...)
				buf = buf[n:]
				return f
			}
			fill()
		}
	}
	for i, n := range sizes {
		f := next()
		if f.Op != OpText || len(f.Payload) != n {
			t.Fatalf("frame %d: op %d len %d", i, f.Op, len(f.Payload))
		}
		out := AppendFrame(nil, OpBinary, bytes.Repeat([]byte{'c'}, n), [4]byte{byte(i), 2, 3, 4})
		if _, err := c.Write(out); err != nil {
			t.Fatal(err)
		}
	}
	if f := next(); f.Op != OpPing || string(f.Payload) != "hi" {
		t.Fatalf("want ping, got op %d %q", f.Op, f.Payload)
	}
	if f := next(); f.Op != OpClose || CloseCode(f.Payload) != 1001 {
		t.Fatalf("want close 1001, got op %d %v", f.Op, f.Payload)
	}
	if err := <-srvErr; err != nil {
		t.Fatalf("server side: %v", err)
	}
}

// FuzzParseResponse compares ParseResponse with net/http's response reader
// (the oracle) wherever net/http accepts the head: same status, same
// reading of the upgrade headers (the last one of a name wins here).
func FuzzParseResponse(f *testing.F) {
	f.Add([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n"))
	f.Add([]byte("HTTP/1.0 400 Bad\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 101 x\r\nUpgrade: websocket\u00a0\r\nConnection: keep-alive, upgrade\r\nSec-WebSocket-Protocol: a\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, n, err := ParseResponse(b)
		if err != nil || n == 0 {
			return
		}
		if n > len(b) || !bytes.HasSuffix(b[:n], []byte("\r\n\r\n")) {
			t.Fatalf("consumed %d of %q", n, b)
		}
		res, herr := http.ReadResponse(bufio.NewReader(bytes.NewReader(b[:n])), nil)
		if herr != nil {
			return // ParseResponse reads only what a handshake needs
		}
		last := func(name string) (string, bool) {
			v := res.Header.Values(name)
			if len(v) == 0 {
				return "", false
			}
			return v[len(v)-1], true
		}
		up, _ := last("Upgrade")
		conn, _ := last("Connection")
		accept, _ := last("Sec-WebSocket-Accept")
		proto, _ := last("Sec-WebSocket-Protocol")
		connUpgrade := false
		for _, tok := range strings.Split(conn, ",") {
			connUpgrade = connUpgrade || strings.EqualFold(strings.Trim(tok, " \t"), "upgrade")
		}
		if res.StatusCode != r.Status || strings.EqualFold(up, "websocket") != r.Upgrade || connUpgrade != r.Connection ||
			accept != string(r.Accept) || proto != string(r.Protocol) {
			t.Fatalf("%q: %+v; net/http status %d upgrade %q connection %q accept %q protocol %q",
				b, r, res.StatusCode, up, conn, accept, proto)
		}
	})
}
