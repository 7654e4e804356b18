package poller

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/tls"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/httphead"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"

	"github.com/densecable/densecable/frames"
)

// Autobahn-style cases for permessage-deflate (RFC 7692) on every engine:
// what a compressing client sends is inflated, what the server frames with
// the connection's Framer is compressed, and every misuse of the RSV bits or
// of the compressed data closes with the code the RFCs ask for.
func TestDeflateContract(t *testing.T) {
	for _, e := range contractEngines {
		t.Run(e, func(t *testing.T) {
			t.Run("compressed messages both ways", func(t *testing.T) { deflateRoundTrip(t, e) })
			t.Run("misuse closes", func(t *testing.T) { deflateMisuse(t, e) })
		})
	}
}

// deflateDial upgrades on path offering permessage-deflate and reports
// whether the server accepted it.
func deflateDial(t *testing.T, s Server, engine, path string) (net.Conn, io.Reader, bool) {
	t.Helper()
	d := ws.Dialer{Timeout: 5 * time.Second, Extensions: []httphead.Option{wsflate.DefaultParameters.Option()}}
	if engine == "tls" {
		d.TLSConfig = &tls.Config{InsecureSkipVerify: true}
	}
	conn, br, hs, err := d.Dial(context.Background(), scheme(engine, "ws")+s.Addr().String()+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	var r io.Reader = conn
	if br != nil {
		r = br
	}
	return conn, r, len(hs.Extensions) > 0
}

// deflated is p as a compressing client sends it: deflated without the
// trailing 00 00 ff ff.
func deflated(t *testing.T, p []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestCompression)
	_, _ = w.Write(p)
	_ = w.Flush()
	return bytes.TrimSuffix(b.Bytes(), []byte{0, 0, 0xff, 0xff})
}

// send writes one masked client frame with the given RSV bits.
func send(t *testing.T, conn net.Conn, op ws.OpCode, fin bool, rsv byte, p []byte) {
	t.Helper()
	f := ws.NewFrame(op, fin, append([]byte(nil), p...))
	f.Header.Rsv = rsv
	if err := ws.WriteFrame(conn, ws.MaskFrame(f)); err != nil {
		t.Fatal(err)
	}
}

const rsv1 = 4 // ws.Header.Rsv with RSV1 set

func deflateRoundTrip(t *testing.T, engine string) {
	s, h := startEngine(t, engine, Options{MaxMessageSize: 1 << 20})
	conn, r, ok := deflateDial(t, s, engine, "/wsz")
	if !ok {
		t.Fatal("permessage-deflate not accepted")
	}
	c := <-h.opened
	msg := []byte(strings.Repeat(`{"command":"message","data":"hello"}`, 100))
	z := deflated(t, msg)
	send(t, conn, ws.OpText, true, rsv1, z)
	// Fragmented: RSV1 on the first fragment only.
	send(t, conn, ws.OpText, false, rsv1, z[:len(z)/3])
	send(t, conn, ws.OpContinuation, false, 0, z[len(z)/3:2*len(z)/3])
	send(t, conn, ws.OpContinuation, true, 0, z[2*len(z)/3:])
	// An uncompressed message on the same connection (RSV1 clear).
	send(t, conn, ws.OpText, true, 0, []byte("plain"))
	for _, want := range []string{string(msg), string(msg), "plain"} {
		select {
		case got := <-h.msgs:
			if got != want {
				t.Fatalf("got %d bytes %.40q, want %d bytes", len(got), got, len(want))
			}
		case <-time.After(5 * time.Second):
			t.Fatal("message not delivered")
		}
	}
	// What the session frames for this connection goes out compressed.
	if err := c.Write(c.Framer().AppendFrame(nil, msg, false)); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	f, err := ws.ReadFrame(r)
	if err != nil {
		t.Fatal(err)
	}
	if f.Header.Rsv != rsv1 || len(f.Payload) >= len(msg)/4 {
		t.Fatalf("server frame: rsv %d, %d bytes for %d: not compressed", f.Header.Rsv, len(f.Payload), len(msg))
	}
	out, err := io.ReadAll(flate.NewReader(io.MultiReader(bytes.NewReader(f.Payload), bytes.NewReader([]byte{0, 0, 0xff, 0xff, 1, 0, 0, 0xff, 0xff}))))
	if err != nil || !bytes.Equal(out, msg) {
		t.Fatalf("server frame does not inflate to the message: %v", err)
	}
}

func deflateMisuse(t *testing.T, engine string) {
	s, h := startEngine(t, engine, Options{MaxMessageSize: 1000})
	z := deflated(t, []byte("hello"))
	for _, tc := range []struct {
		name   string
		path   string
		frames func(conn net.Conn)
		want   uint16
	}{
		{"RSV1 on a continuation", "/wsz", func(conn net.Conn) {
			send(t, conn, ws.OpText, false, rsv1, z[:2])
			send(t, conn, ws.OpContinuation, true, rsv1, z[2:])
		}, frames.CloseProtocolError},
		{"RSV1 without negotiation", "/ws", func(conn net.Conn) {
			send(t, conn, ws.OpText, true, rsv1, z)
		}, frames.CloseProtocolError},
		{"RSV1 on a ping", "/wsz", func(conn net.Conn) {
			send(t, conn, ws.OpPing, true, rsv1, nil)
		}, frames.CloseProtocolError},
		{"RSV2", "/wsz", func(conn net.Conn) {
			send(t, conn, ws.OpText, true, 2, []byte("x"))
		}, frames.CloseProtocolError},
		{"RSV3", "/wsz", func(conn net.Conn) {
			send(t, conn, ws.OpText, true, 1, []byte("x"))
		}, frames.CloseProtocolError},
		{"bad deflate data", "/wsz", func(conn net.Conn) {
			send(t, conn, ws.OpText, true, rsv1, []byte{0xff, 0xfe, 0xfd, 0xfc})
		}, frames.CloseInvalidPayload},
		{"inflated text not UTF-8", "/wsz", func(conn net.Conn) {
			send(t, conn, ws.OpText, true, rsv1, deflated(t, []byte{0xff, 0xfe}))
		}, frames.CloseInvalidPayload},
		{"inflated size over max_message_size", "/wsz", func(conn net.Conn) {
			// 100 KB of zeros deflate to about 100 bytes, under the
			// 1000-byte limit on the wire.
			send(t, conn, ws.OpBinary, true, rsv1, deflated(t, make([]byte, 100<<10)))
		}, frames.CloseMessageTooBig},
	} {
		conn, r, _ := deflateDial(t, s, engine, tc.path)
		<-h.opened
		tc.frames(conn)
		if got := closedBy(t, conn, r, 5*time.Second); got != tc.want {
			t.Errorf("%s: server closed with %d, want %d", tc.name, got, tc.want)
		}
	}
}
