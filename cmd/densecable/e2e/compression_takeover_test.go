package e2e

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/httphead"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"
)

// takeoverConn is a client that keeps its deflate window both ways, as a
// browser does when the server does not ask otherwise: one compressor for
// the connection (the standard library's), and an inflater that keeps the
// last 32 KB of the messages it inflated.
type takeoverConn struct {
	t    *testing.T
	conn net.Conn
	r    io.Reader
	ext  []httphead.Option
	out  bytes.Buffer
	w    *flate.Writer
	hist []byte
}

func dialTakeover(t *testing.T, url string) *takeoverConn {
	t.Helper()
	d := ws.Dialer{
		Timeout:    10 * time.Second,
		Protocols:  []string{"actioncable-v1-json"},
		Extensions: []httphead.Option{wsflate.Parameters{ClientMaxWindowBits: 1}.Option()},
	}
	conn, br, hs, err := d.Dial(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &takeoverConn{t: t, conn: conn, r: conn, ext: hs.Extensions}
	if br != nil {
		c.r = br
	}
	c.w, _ = flate.NewWriter(&c.out, flate.BestSpeed)
	return c
}

// send compresses p on the connection's stream and returns the compressed
// size.
func (c *takeoverConn) send(p string) int {
	c.t.Helper()
	c.out.Reset()
	_, _ = c.w.Write([]byte(p))
	_ = c.w.Flush()
	payload := bytes.TrimSuffix(c.out.Bytes(), []byte{0, 0, 0xff, 0xff})
	f := ws.NewTextFrame(append([]byte(nil), payload...))
	f.Header.Rsv = ws.Rsv(true, false, false)
	if err := ws.WriteFrame(c.conn, ws.MaskFrame(f)); err != nil {
		c.t.Fatal(err)
	}
	return len(payload)
}

// next reads the next data message (pings skipped), inflating it against
// the client's window.
func (c *takeoverConn) next() (msg map[string]any, compressed bool) {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		f, err := ws.ReadFrame(c.r)
		if err != nil {
			c.t.Fatalf("read: %v", err)
		}
		if f.Header.OpCode == ws.OpClose {
			code, reason := ws.ParseCloseFrameData(f.Payload)
			c.t.Fatalf("closed %d %s", code, reason)
		}
		if f.Header.OpCode != ws.OpText {
			continue
		}
		p := f.Payload
		compressed = f.Header.Rsv == ws.Rsv(true, false, false)
		if compressed {
			src := io.MultiReader(bytes.NewReader(p), bytes.NewReader([]byte{0, 0, 0xff, 0xff, 1, 0, 0, 0xff, 0xff}))
			if p, err = io.ReadAll(flate.NewReaderDict(src, c.hist)); err != nil {
				c.t.Fatalf("inflate: %v", err)
			}
			c.hist = append(c.hist, p...)
			c.hist = c.hist[max(0, len(c.hist)-32<<10):]
		}
		if err := json.Unmarshal(p, &msg); err != nil {
			c.t.Fatalf("frame %q: %v", p, err)
		}
		if msg["type"] == "ping" {
			continue
		}
		return msg, compressed
	}
}

// closeCode waits for the server's close frame.
func (c *takeoverConn) closeCode() ws.StatusCode {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		f, err := ws.ReadFrame(c.r)
		if err != nil {
			c.t.Fatalf("read: %v", err)
		}
		if f.Header.OpCode == ws.OpClose {
			code, _ := ws.ParseCloseFrameData(f.Payload)
			return code
		}
	}
}

// TestCompressionContextTakeover: with --ws_compression_context_takeover
// a client offering plain permessage-deflate is answered without the
// no_context_takeover parameters, keeps its window, and its messages that
// refer to earlier ones (the same command again is a few bytes) are
// understood; broadcasts inflate with the client's window kept; bad
// compressed data still closes 1007.
func TestCompressionContextTakeover(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			srv, broadcastURL := startWithBenchApp(t, "--poller="+engine, "--enable_ws_compression", "--ws_compression_context_takeover")
			c := dialTakeover(t, srv.wsURL())
			if len(c.ext) != 1 {
				t.Fatalf("extensions %v", c.ext)
			}
			var p wsflate.Parameters
			if err := p.Parse(c.ext[0]); err != nil || p.ServerNoContextTakeover || p.ClientNoContextTakeover {
				t.Fatalf("agreed %+v (%v): want context takeover both ways", p, err)
			}
			if msg, _ := c.next(); msg["type"] != "welcome" {
				t.Fatalf("first message %v", msg)
			}
			room := "tk-" + engine
			ident := jsonOf(map[string]string{"channel": "ChatChannel", "room": room})
			c.send(jsonOf(map[string]string{"command": "subscribe", "identifier": ident}))
			if msg, _ := c.next(); msg["type"] != "confirm_subscription" {
				t.Fatalf("subscribe answered %v", msg)
			}
			text := strings.Repeat("an echo with context takeover ", 40)
			var sizes []int
			for i := range 5 {
				data := jsonOf(map[string]any{"action": "echo", "text": text, "n": i})
				sizes = append(sizes, c.send(jsonOf(map[string]string{"command": "message", "identifier": ident, "data": data})))
				msg, _ := c.next()
				if got, _ := msg["message"].(map[string]any); got["text"] != text || got["n"] != float64(i) {
					t.Fatalf("echo %d: %v", i, msg)
				}
			}
			// The repeated command refers back to the first: a handful of
			// bytes, which only a server keeping the window can read.
			if sizes[1]*3 > sizes[0] {
				t.Errorf("compressed sizes %v: the client did not refer back", sizes)
			}
			for i := range 3 {
				big := strings.Repeat("a compressed broadcast ", 200) + strings.Repeat("x", i)
				if code, body := request(t, "POST", broadcastURL, "", broadcastBody("ChatChannel:"+room, map[string]string{"text": big})); code != http.StatusCreated {
					t.Fatalf("broadcast: %d %s", code, body)
				}
				msg, compressed := c.next()
				if got, _ := msg["message"].(map[string]any); !compressed || got["text"] != big {
					t.Fatalf("broadcast %d (compressed %v): %.80v", i, compressed, msg)
				}
			}

			bad := dialTakeover(t, srv.wsURL())
			bad.next()
			f := ws.NewTextFrame([]byte{0xff, 0xfe, 0xfd, 0xfc})
			f.Header.Rsv = ws.Rsv(true, false, false)
			if err := ws.WriteFrame(bad.conn, ws.MaskFrame(f)); err != nil {
				t.Fatal(err)
			}
			if code := bad.closeCode(); code != ws.StatusInvalidFramePayloadData {
				t.Errorf("bad compressed data closed with %d, want 1007", code)
			}
		})
	}
}
