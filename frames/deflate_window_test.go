package frames

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gobwas/ws"
)

// upgradeTakeover is upgradeWith with context takeover allowed.
func upgradeTakeover(t *testing.T, extensions ...string) (*Request, string) {
	t.Helper()
	head := strings.TrimSuffix(sampleHead, "\r\n")
	for _, e := range extensions {
		head += "Sec-WebSocket-Extensions: " + e + "\r\n"
	}
	req, resp, err := Upgrade([]byte(head+"\r\n"), &UpgradeOptions{Compression: true, ContextTakeover: true})
	if err != nil {
		t.Fatalf("upgrade: %v\n%s", err, resp)
	}
	for _, line := range strings.Split(string(resp), "\r\n") {
		if k, v, ok := strings.Cut(line, ": "); ok && strings.EqualFold(k, "Sec-WebSocket-Extensions") {
			return req, strings.ReplaceAll(v, ";", "; ")
		}
	}
	return req, ""
}

// With takeover allowed the response carries only the no_context_takeover
// parameters the client asked for, and the request says which window the
// client's messages may refer back to.
func TestDeflateNegotiationTakeover(t *testing.T) {
	const pmd = "permessage-deflate"
	for _, tc := range []struct {
		name   string
		offers []string
		want   string // "" = declined
		bits   int
	}{
		{"plain offer", []string{pmd}, pmd, 15},
		{"browser offer", []string{pmd + "; client_max_window_bits"}, pmd, 15},
		{"client window 10", []string{pmd + "; client_max_window_bits=10"}, pmd, 10},
		{"client window 8", []string{pmd + "; client_max_window_bits=8"}, pmd, 8},
		{"client asks server not to take over", []string{pmd + "; server_no_context_takeover"}, pmd + "; server_no_context_takeover", 15},
		{"client will not take over", []string{pmd + "; client_no_context_takeover"}, pmd + "; client_no_context_takeover", 0},
		{"both asked", []string{pmd + "; server_no_context_takeover; client_no_context_takeover"},
			pmd + "; server_no_context_takeover; client_no_context_takeover", 0},
		{"server window 15", []string{pmd + "; server_max_window_bits=15"}, pmd + "; server_max_window_bits=15", 15},
		{"server window we cannot honour", []string{pmd + "; server_max_window_bits=10"}, "", 0},
		{"first acceptable offer wins",
			[]string{pmd + "; server_max_window_bits=9, " + pmd + "; client_max_window_bits=12"}, pmd, 12},
		{"unknown parameter", []string{pmd + "; foo=1"}, "", 0},
		{"other extension only", []string{"x-webkit-deflate-frame"}, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, got := upgradeTakeover(t, tc.offers...)
			if got != tc.want || req.Deflate != (tc.want != "") || req.DeflateWindowBits != tc.bits {
				t.Errorf("extensions %q (deflate %v, window bits %d), want %q (bits %d)",
					got, req.Deflate, req.DeflateWindowBits, tc.want, tc.bits)
			}
		})
	}
	// Without the option, takeover is never agreed and no window is kept.
	req, got := upgradeWith(t, true, pmd)
	if !strings.Contains(got, "client_no_context_takeover") || req.DeflateWindowBits != 0 {
		t.Errorf("default: %q, window bits %d", got, req.DeflateWindowBits)
	}
}

// takeoverClient compresses messages the way a client with context
// takeover does: one deflate stream for the connection (the standard
// library's, not the server's), sync-flushed per message, tail removed.
type takeoverClient struct {
	buf bytes.Buffer
	w   *flate.Writer
}

func newTakeoverClient(t testing.TB) *takeoverClient {
	c := &takeoverClient{}
	var err error
	if c.w, err = flate.NewWriter(&c.buf, flate.BestCompression); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *takeoverClient) compress(t testing.TB, p []byte) []byte {
	t.Helper()
	c.buf.Reset()
	if _, err := c.w.Write(p); err != nil {
		t.Fatal(err)
	}
	if err := c.w.Flush(); err != nil {
		t.Fatal(err)
	}
	out := bytes.TrimSuffix(c.buf.Bytes(), deflateTail)
	return append([]byte(nil), out...)
}

// compressedFrame is a masked client frame carrying a compressed message.
func compressedFrame(t testing.TB, op ws.OpCode, c []byte) []byte {
	f := clientFrame(t, true, op, c)
	f[0] |= 0x40
	return f
}

// A client keeping its window sends messages that refer to earlier ones:
// each inflates to what was sent, an uncompressed message in between is
// not part of the window, and fragments are joined before inflating.
func TestAssemblerInflatesWithTakeover(t *testing.T) {
	a := &Assembler{MaxSize: 64 << 10, Deflate: true, DeflateWindowBits: 15}
	c := newTakeoverClient(t)
	msg := func(i int) []byte {
		return fmt.Appendf(nil, `{"command":"message","identifier":"{\"channel\":\"ChatChannel\",\"room\":\"42\"}","data":"{\"action\":\"speak\",\"text\":\"hello number %d\"}"}`, i)
	}
	first := c.compress(t, msg(0))
	for i := 0; i < 50; i++ {
		p := msg(i)
		var frame []byte
		if i == 0 {
			frame = compressedFrame(t, ws.OpText, first)
		} else {
			cp := c.compress(t, p)
			if i == 1 && len(cp) >= len(first)/2 {
				t.Fatalf("the second message compressed to %d bytes, the first to %d: it does not refer back", len(cp), len(first))
			}
			frame = compressedFrame(t, ws.OpText, cp)
		}
		m, done, err := pushFrame(t, a, frame)
		if err != nil || !done || !bytes.Equal(m.Payload, p) {
			t.Fatalf("message %d: %q %v %v", i, m.Payload, done, err)
		}
		if i%10 == 5 {
			m, _, err := pushFrame(t, a, clientFrame(t, true, ws.OpText, []byte("plain")))
			if err != nil || string(m.Payload) != "plain" {
				t.Fatalf("plain message: %q %v", m.Payload, err)
			}
		}
	}
	// A fragmented compressed message referring back.
	p := msg(99)
	cp := c.compress(t, p)
	f1 := clientFrame(t, false, ws.OpText, cp[:len(cp)/2])
	f1[0] |= 0x40
	if _, done, err := pushFrame(t, a, f1); done || err != nil {
		t.Fatalf("first fragment: %v %v", done, err)
	}
	m, done, err := pushFrame(t, a, clientFrame(t, true, ws.OpContinuation, cp[len(cp)/2:]))
	if err != nil || !done || !bytes.Equal(m.Payload, p) {
		t.Fatalf("fragmented: %q %v %v", m.Payload, done, err)
	}
	// The window stays at most 32 KB however much was sent.
	big := bytes.Repeat([]byte("0123456789abcdef"), 4<<10) // 64 KB
	m, _, err = pushFrame(t, a, compressedFrame(t, ws.OpBinary, c.compress(t, big)))
	if err != nil || !bytes.Equal(m.Payload, big) {
		t.Fatalf("64 KB message: %v", err)
	}
	if n := len(a.window.buf); n != 32<<10 || cap(a.window.buf) != 32<<10 {
		t.Errorf("window holds %d bytes (cap %d), want 32 KB", n, cap(a.window.buf))
	}
	// The same stream inflated without a window fails: the test depends on
	// the history being kept.
	for range 2 {
		p := msg(7)
		cp := c.compress(t, p)
		if m, _, err := pushFrame(t, a, compressedFrame(t, ws.OpText, cp)); err != nil || !bytes.Equal(m.Payload, p) {
			t.Fatalf("after the big message: %v", err)
		}
		if _, err := Inflate(nil, cp, 64<<10); err == nil && len(cp) < len(first)/2 {
			t.Error("a message that refers back inflated without history")
		}
	}
}

// Bad data still closes 1007 and a bomb 1009 with takeover on.
func TestAssemblerTakeoverBadInput(t *testing.T) {
	a := &Assembler{MaxSize: 100, Deflate: true, DeflateWindowBits: 15}
	_, _, err := pushFrame(t, a, compressedFrame(t, ws.OpText, []byte{0xff, 0xfe, 0xfd}))
	var ce *CloseError
	if !errors.Is(err, ErrBadDeflate) || !errors.As(err, &ce) || ce.Code != 1007 {
		t.Errorf("bad deflate data: %v", err)
	}
	// A reference before the start of the stream is bad data too.
	c := newTakeoverClient(t)
	c.compress(t, bytes.Repeat([]byte("abcdefgh"), 8))
	ref := c.compress(t, bytes.Repeat([]byte("abcdefgh"), 8))
	a = &Assembler{MaxSize: 100, Deflate: true, DeflateWindowBits: 15}
	if _, _, err := pushFrame(t, a, compressedFrame(t, ws.OpText, ref)); !errors.Is(err, ErrBadDeflate) {
		t.Errorf("reference into a window never sent: %v", err)
	}
	a = &Assembler{MaxSize: 100, Deflate: true, DeflateWindowBits: 15}
	bomb := newTakeoverClient(t).compress(t, make([]byte, 1<<20))
	if _, _, err := pushFrame(t, a, compressedFrame(t, ws.OpBinary, bomb)); !errors.Is(err, ErrTooBig) {
		t.Errorf("bomb: %v", err)
	}
}

// The window keeps the last size bytes of what was added, in order, and
// never allocates beyond size.
func TestInflateWindowAdd(t *testing.T) {
	var w inflateWindow
	var all []byte
	for i, n := range []int{1, 100, 600, 3, 1000, 511, 2000, 7} {
		p := bytes.Repeat([]byte{byte('a' + i)}, n)
		all = append(all, p...)
		w.add(p, 1024)
		want := all[max(0, len(all)-1024):]
		if !bytes.Equal(w.buf, want) || cap(w.buf) > 1024 {
			t.Fatalf("after %d: %d bytes (cap %d), want the last %d", i, len(w.buf), cap(w.buf), len(want))
		}
	}
	if windowSize(8) != 512 || windowSize(15) != 32<<10 {
		t.Errorf("window sizes %d %d", windowSize(8), windowSize(15))
	}
}

// Messages compressed by a client keeping its window (the standard
// library's deflate) inflate to what was sent, whatever they are, and the
// window holds exactly the tail of the compressed messages.
func FuzzInflateTakeover(f *testing.F) {
	f.Add([]byte("hello hello hello"), []byte("hello again"), uint8(3))
	f.Add(bytes.Repeat([]byte("xy"), 3000), []byte{}, uint8(0))
	f.Fuzz(func(t *testing.T, m1, m2 []byte, rounds uint8) {
		a := &Assembler{Deflate: true, DeflateWindowBits: 15}
		c := newTakeoverClient(t)
		var sent []byte
		for i := range int(rounds%8) + 2 {
			p := m1
			if i%2 == 1 {
				p = append(append([]byte(nil), m2...), m1...)
			}
			m, done, err := pushFrame(t, a, compressedFrame(t, ws.OpBinary, c.compress(t, p)))
			if err != nil || !done || !bytes.Equal(m.Payload, p) {
				t.Fatalf("round %d: %v", i, err)
			}
			sent = append(sent, p...)
		}
		if want := sent[max(0, len(sent)-32<<10):]; a.window != nil && !bytes.Equal(a.window.buf, want) {
			t.Fatalf("window of %d bytes is not the last %d sent", len(a.window.buf), len(want))
		}
	})
}

// With takeover allowed, whatever the client offers: the response names a
// no_context_takeover parameter only if the offer did, and the client's
// window is kept exactly when client_no_context_takeover was not agreed.
func FuzzDeflateNegotiationTakeover(f *testing.F) {
	f.Add("permessage-deflate; client_max_window_bits=9")
	f.Add("permessage-deflate; server_max_window_bits=10, permessage-deflate; client_no_context_takeover")
	f.Fuzz(func(t *testing.T, offer string) {
		if strings.ContainsAny(offer, "\r\n") {
			return
		}
		head := strings.TrimSuffix(sampleHead, "\r\n") + "Sec-WebSocket-Extensions: " + offer + "\r\n\r\n"
		req, resp, err := Upgrade([]byte(head), &UpgradeOptions{Compression: true, ContextTakeover: true})
		if err != nil || !req.Deflate {
			if req.DeflateWindowBits != 0 {
				t.Fatal("a window without deflate")
			}
			return
		}
		got := ""
		for _, line := range strings.Split(string(resp), "\r\n") {
			if k, v, ok := strings.Cut(line, ": "); ok && strings.EqualFold(k, "Sec-WebSocket-Extensions") {
				got = v
			}
		}
		lower := strings.ToLower(offer)
		for _, p := range []string{"server_no_context_takeover", "client_no_context_takeover"} {
			if strings.Contains(got, p) && !strings.Contains(lower, p) {
				t.Fatalf("agreed %q to %q", got, offer)
			}
		}
		noClient := strings.Contains(got, "client_no_context_takeover")
		if bits := req.DeflateWindowBits; noClient != (bits == 0) || (bits != 0 && (bits < 8 || bits > 15)) {
			t.Fatalf("window bits %d with %q", bits, got)
		}
	})
}
