package main

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// dialSubscribed opens an Action Cable JSON client, reads the welcome and
// subscribes; the confirmation is read before returning.
func dialSubscribed(t *testing.T, addr string) net.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d := ws.Dialer{Protocols: []string{"actioncable-v1-json"}}
	nc, br, _, err := d.Dial(ctx, "ws://"+addr+"/cable")
	if err != nil {
		t.Fatal(err)
	}
	var c net.Conn = nc
	if br != nil { // the welcome may have arrived with the 101
		c = bufferedConn{br, nc}
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	expect(t, c, `{"type":"welcome"}`)
	if err := wsutil.WriteClientText(c, []byte(`{"command":"subscribe","identifier":"{\"channel\":\"BenchmarkChannel\"}"}`)); err != nil {
		t.Fatal(err)
	}
	expect(t, c, `{"type":"confirm_subscription","identifier":"{\"channel\":\"BenchmarkChannel\"}"}`)
	return c
}

type bufferedConn struct {
	io.Reader
	net.Conn
}

func (c bufferedConn) Read(p []byte) (int, error) { return c.Reader.Read(p) }

func expect(t *testing.T, c net.Conn, want string) {
	t.Helper()
	got, err := wsutil.ReadServerText(c)
	if err != nil {
		t.Fatalf("reading %s: %v", want, err)
	}
	if string(got) != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

// TestBroadcastReachesEverySubscriber: what the load generator relies on —
// every subscriber receives the data message, the sender then its
// broadcastResult, and a perform of another action is not broadcast.
func TestBroadcastReachesEverySubscriber(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go newServer().run(ln)
	a, b := dialSubscribed(t, ln.Addr().String()), dialSubscribed(t, ln.Addr().String())

	id := `"identifier":"{\"channel\":\"BenchmarkChannel\"}"`
	data := `{\"action\":\"broadcast\",\"payload\":{\"sendTime\":\"12\",\"padding\":\"` + strings.Repeat("x", 200) + `\"}}`
	for _, perform := range []string{`{\"action\":\"echo\"}`, data} {
		msg := `{"command":"message",` + id + `,"data":"` + perform + `"}`
		if err := wsutil.WriteClientText(a, []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	payload := `{"action":"broadcast","payload":{"sendTime":"12","padding":"` + strings.Repeat("x", 200) + `"}}`
	expect(t, a, `{`+id+`,"message":`+payload+`}`)
	expect(t, a, `{`+id+`,"message":{"action":"broadcastResult","payload":{"sendTime":"12","padding":"`+strings.Repeat("x", 200)+`"}}}`)
	expect(t, b, `{`+id+`,"message":`+payload+`}`)
}

func TestTextFrameLengths(t *testing.T) {
	for _, n := range []int{0, 125, 126, 65535, 65536} {
		f := textFrame(make([]byte, n))
		h, err := ws.ReadHeader(strings.NewReader(string(f)))
		if err != nil || h.Length != int64(n) || !h.Fin || h.OpCode != ws.OpText || h.Masked {
			t.Fatalf("%d: %+v %v", n, h, err)
		}
		if hl := len(f) - n; hl != ws.HeaderSize(h) {
			t.Fatalf("%d: header %d bytes, want %d", n, hl, ws.HeaderSize(h))
		}
	}
}
