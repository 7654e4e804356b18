package e2e

import (
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

// deflateClient dials url offering permessage-deflate (gobwas/ws's own
// client and parameters) and returns the connection, a reader for it and
// the extensions the server accepted.
func deflateClient(t *testing.T, url string) (net.Conn, io.Reader, []httphead.Option) {
	t.Helper()
	d := ws.Dialer{
		Timeout:    10 * time.Second,
		Protocols:  []string{"actioncable-v1-json"},
		Extensions: []httphead.Option{wsflate.DefaultParameters.Option()},
	}
	conn, br, hs, err := d.Dial(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	var r io.Reader = conn
	if br != nil { // the server's first bytes came with the 101
		r = br
	}
	return conn, r, hs.Extensions
}

// nextData reads the next data frame (pings skipped), inflating it when RSV1
// says it is compressed; compressed reports that.
func nextData(t *testing.T, conn net.Conn, r io.Reader) (msg map[string]any, compressed bool) {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		f, err := ws.ReadFrame(r)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if f.Header.OpCode != ws.OpText {
			continue
		}
		compressed = f.Header.Rsv == ws.Rsv(true, false, false)
		if compressed {
			if f, err = wsflate.DecompressFrame(f); err != nil {
				t.Fatalf("inflate: %v", err)
			}
		}
		if err := json.Unmarshal(f.Payload, &msg); err != nil {
			t.Fatalf("frame %q: %v", f.Payload, err)
		}
		if msg["type"] == "ping" {
			continue
		}
		return msg, compressed
	}
}

// TestCompressionGoClient: a Go client (gobwas/ws with wsflate) against the
// binary. With --enable_ws_compression the extension is agreed, a
// compressed subscribe command is understood, and a large broadcast comes
// compressed and inflates to the published text; without the flag the
// offer is declined.
func TestCompressionGoClient(t *testing.T) {
	srv, broadcastURL := startWithBenchApp(t, "--enable_ws_compression")
	conn, r, ext := deflateClient(t, srv.wsURL())
	if len(ext) != 1 {
		t.Fatalf("extensions %v", ext)
	}
	var p wsflate.Parameters
	if err := p.Parse(ext[0]); err != nil || !p.ServerNoContextTakeover || !p.ClientNoContextTakeover {
		t.Fatalf("agreed %+v (%v)", p, err)
	}
	if msg, _ := nextData(t, conn, r); msg["type"] != "welcome" {
		t.Fatalf("first message %v", msg)
	}
	sub, err := wsflate.CompressFrame(ws.NewTextFrame([]byte(`{"command":"subscribe","identifier":"{\"channel\":\"ChatChannel\",\"room\":\"gz\"}"}`)))
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.WriteFrame(conn, ws.MaskFrame(sub)); err != nil {
		t.Fatal(err)
	}
	if msg, _ := nextData(t, conn, r); msg["type"] != "confirm_subscription" {
		t.Fatalf("subscribe answered %v", msg)
	}
	text := strings.Repeat("a compressed broadcast ", 200)
	if code, body := request(t, "POST", broadcastURL, "", broadcastBody("ChatChannel:gz", map[string]string{"text": text})); code != http.StatusCreated {
		t.Fatalf("broadcast: %d %s", code, body)
	}
	msg, compressed := nextData(t, conn, r)
	if !compressed {
		t.Error("a 4.6 KB broadcast arrived uncompressed")
	}
	if got, _ := msg["message"].(map[string]any); got["text"] != text {
		t.Fatalf("broadcast %v", msg)
	}

	plain, _ := startWithBenchApp(t)
	if _, _, ext := deflateClient(t, plain.wsURL()); len(ext) != 0 {
		t.Errorf("without --enable_ws_compression the server agreed to %v", ext)
	}
}
