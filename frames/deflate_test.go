package frames

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/gobwas/ws"
)

// upgradeWith runs the handshake with the given Sec-WebSocket-Extensions
// values and returns the request and the response's extensions header.
func upgradeWith(t *testing.T, compression bool, extensions ...string) (*Request, string) {
	t.Helper()
	head := strings.TrimSuffix(sampleHead, "\r\n")
	for _, e := range extensions {
		head += "Sec-WebSocket-Extensions: " + e + "\r\n"
	}
	req, resp, err := Upgrade([]byte(head+"\r\n"), &UpgradeOptions{Compression: compression})
	if err != nil {
		t.Fatalf("upgrade: %v\n%s", err, resp)
	}
	for _, line := range strings.Split(string(resp), "\r\n") {
		if k, v, ok := strings.Cut(line, ": "); ok && strings.EqualFold(k, "Sec-WebSocket-Extensions") {
			return req, v
		}
	}
	return req, ""
}

func TestDeflateNegotiation(t *testing.T) {
	const both = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
	for _, tc := range []struct {
		name   string
		offers []string
		want   string // "" = declined
	}{
		{"plain offer", []string{"permessage-deflate"}, both},
		{"browser offer", []string{"permessage-deflate; client_max_window_bits"}, both},
		{"client window bits with value", []string{"permessage-deflate; client_max_window_bits=10"}, both},
		{"server window 15", []string{"permessage-deflate; server_max_window_bits=15"}, both + "; server_max_window_bits=15"},
		{"no context takeover asked", []string{"permessage-deflate; server_no_context_takeover; client_no_context_takeover"}, both},
		{"server window we cannot honour", []string{"permessage-deflate; server_max_window_bits=10"}, ""},
		{"first acceptable offer wins",
			[]string{"permessage-deflate; server_max_window_bits=9, permessage-deflate; client_max_window_bits"}, both},
		{"second header line", []string{"x-webkit-deflate-frame", "permessage-deflate"}, both},
		{"unknown parameter", []string{"permessage-deflate; foo=1"}, ""},
		{"duplicate parameter", []string{"permessage-deflate; server_no_context_takeover; server_no_context_takeover"}, ""},
		{"window bits out of range", []string{"permessage-deflate; client_max_window_bits=16"}, ""},
		{"server window without value", []string{"permessage-deflate; server_max_window_bits"}, ""},
		{"other extension only", []string{"x-webkit-deflate-frame"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, got := upgradeWith(t, true, tc.offers...)
			got = strings.ReplaceAll(got, ";", "; ")
			if got != tc.want || req.Deflate != (tc.want != "") {
				t.Errorf("extensions %q (deflate %v), want %q", got, req.Deflate, tc.want)
			}
		})
	}
}

func TestDeflateNotNegotiatedWhenOff(t *testing.T) {
	req, got := upgradeWith(t, false, "permessage-deflate")
	if got != "" || req.Deflate {
		t.Errorf("compression off: extensions %q deflate %v", got, req.Deflate)
	}
}

// parseServerFrame reads one server frame (unmasked) with gobwas/ws.
func parseServerFrame(t testing.TB, b []byte) ws.Frame {
	t.Helper()
	f, err := ws.ReadFrame(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("read frame: %v", err)
	}
	return f
}

// stdInflate inflates a permessage-deflate payload with the standard
// library, the reference the framer's output must agree with.
func stdInflate(t testing.TB, p []byte) []byte {
	t.Helper()
	r := flate.NewReader(io.MultiReader(bytes.NewReader(p), bytes.NewReader([]byte{0, 0, 0xff, 0xff, 1, 0, 0, 0xff, 0xff})))
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("inflate: %v", err)
	}
	return out
}

func TestDeflateFramer(t *testing.T) {
	big := []byte(strings.Repeat(`{"identifier":"{\"channel\":\"ChatChannel\"}","message":{"text":"hello"}}`, 20))
	f := DeflateFramer()
	frame := f.AppendFrame(nil, big, false)
	got := parseServerFrame(t, frame)
	if got.Header.Rsv != 4 || got.Header.OpCode != ws.OpText || !got.Header.Fin {
		t.Fatalf("header %+v: want a final text frame with RSV1", got.Header)
	}
	if len(frame) >= len(big)/4 {
		t.Errorf("frame of %d bytes for %d repetitive bytes: not compressed", len(frame), len(big))
	}
	if out := stdInflate(t, got.Payload); !bytes.Equal(out, big) {
		t.Errorf("round trip lost data")
	}
	if bin := parseServerFrame(t, f.AppendFrame(nil, big, true)); bin.Header.OpCode != ws.OpBinary || bin.Header.Rsv != 4 {
		t.Errorf("binary header %+v", bin.Header)
	}
	// Small or incompressible payloads go out plain (RSV1 clear).
	small := parseServerFrame(t, f.AppendFrame(nil, []byte(`{"type":"ping"}`), false))
	if small.Header.Rsv != 0 || string(small.Payload) != `{"type":"ping"}` {
		t.Errorf("small message %+v %q", small.Header, small.Payload)
	}
	if f == WebSocketFramer() || f != DeflateFramer() {
		t.Error("the deflate framer must be one value, distinct from the plain one (broadcasts are framed per framer)")
	}
}

func TestInflateBound(t *testing.T) {
	bomb := deflateRaw(bytes.Repeat([]byte{'a'}, 1<<20)) // 1 MB from about a kilobyte
	if _, err := Inflate(nil, bomb, 64<<10); !errors.Is(err, ErrTooBig) {
		t.Fatalf("bomb: %v, want ErrTooBig", err)
	}
	out, err := Inflate(nil, bomb, 1<<20)
	if err != nil || len(out) != 1<<20 {
		t.Fatalf("at the bound: %d bytes, %v", len(out), err)
	}
	if _, err := Inflate(nil, []byte{0xff, 0xff, 0xff}, 1024); !errors.Is(err, ErrBadDeflate) {
		t.Fatalf("garbage: %v, want ErrBadDeflate", err)
	}
}

// deflateRaw is what a client sends: a deflated message without its tail.
func deflateRaw(p []byte) []byte {
	d := deflaters.Get().(*deflater)
	defer d.release()
	return append([]byte(nil), d.compress(p)...)
}

func TestParseHeaderRSV1(t *testing.T) {
	withRsv := func(b []byte, rsv byte) []byte {
		b = append([]byte(nil), b...)
		b[0] |= rsv << 4
		return b
	}
	text := clientFrame(t, true, ws.OpText, []byte("x"))
	for _, tc := range []struct {
		name    string
		frame   []byte
		deflate bool
		ok      bool
	}{
		{"RSV1 on text, negotiated", withRsv(text, 4), true, true},
		{"RSV1 on binary, negotiated", withRsv(clientFrame(t, false, ws.OpBinary, nil), 4), true, true},
		{"RSV1 without negotiation", withRsv(text, 4), false, false},
		{"RSV1 on a continuation", withRsv(clientFrame(t, true, ws.OpContinuation, nil), 4), true, false},
		{"RSV1 on a ping", withRsv(clientFrame(t, true, ws.OpPing, nil), 4), true, false},
		{"RSV2", withRsv(text, 2), true, false},
		{"RSV3", withRsv(text, 1), true, false},
	} {
		_, _, err := ParseHeaderExt(tc.frame, tc.deflate)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrReservedBits)) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// pushFrame parses, unmasks and pushes one client frame.
func pushFrame(t *testing.T, a *Assembler, b []byte) (Message, bool, error) {
	t.Helper()
	h, n, err := ParseHeaderExt(b, a.Deflate)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	p := b[n:]
	Unmask(h, p)
	return a.Push(h, p)
}

func compressedFrames(t *testing.T, msg []byte, parts int) [][]byte {
	t.Helper()
	c := deflateRaw(msg)
	var out [][]byte
	step := (len(c) + parts - 1) / parts
	for i := 0; i < len(c); i += step {
		end := min(i+step, len(c))
		op := ws.OpContinuation
		if i == 0 {
			op = ws.OpText
		}
		f := clientFrame(t, end == len(c), op, c[i:end])
		if i == 0 {
			f[0] |= 0x40
		}
		out = append(out, f)
	}
	return out
}

func TestAssemblerInflates(t *testing.T) {
	msg := []byte(strings.Repeat("hello, compressed world ", 50))
	for _, parts := range []int{1, 3} {
		a := &Assembler{MaxSize: 4096, Deflate: true}
		fs := compressedFrames(t, msg, parts)
		for i, f := range fs {
			m, done, err := pushFrame(t, a, f)
			if err != nil || done != (i == len(fs)-1) {
				t.Fatalf("%d parts, frame %d: done %v err %v", parts, i, done, err)
			}
			if done && !bytes.Equal(m.Payload, msg) {
				t.Fatalf("%d parts: got %q", parts, m.Payload)
			}
		}
		// The next, uncompressed message is not inflated.
		m, done, err := pushFrame(t, a, clientFrame(t, true, ws.OpText, []byte("plain")))
		if err != nil || !done || string(m.Payload) != "plain" {
			t.Fatalf("plain after compressed: %q %v %v", m.Payload, done, err)
		}
	}
	a := &Assembler{MaxSize: 100, Deflate: true}
	if _, _, err := pushFrame(t, a, compressedFrames(t, msg, 1)[0]); !errors.Is(err, ErrTooBig) {
		t.Errorf("inflated over MaxSize: %v", err)
	}
	bad := clientFrame(t, true, ws.OpText, []byte{0xff, 0xfe, 0xfd})
	bad[0] |= 0x40
	if _, _, err := pushFrame(t, &Assembler{MaxSize: 100, Deflate: true}, bad); !errors.Is(err, ErrBadDeflate) {
		t.Errorf("bad deflate data: %v", err)
	}
}

// The framer's output inflates back to the input for any payload, and
// Inflate never returns more than its bound.
func FuzzDeflateRoundTrip(f *testing.F) {
	f.Add([]byte("hello"), 10)
	f.Add(bytes.Repeat([]byte("ab"), 500), 100)
	f.Add([]byte{}, 0)
	f.Fuzz(func(t *testing.T, p []byte, max int) {
		frame := DeflateFramer().AppendFrame(nil, p, true)
		fr := parseServerFrame(t, frame)
		payload := fr.Payload
		if fr.Header.Rsv == 4 {
			payload = stdInflate(t, fr.Payload)
			again, err := Inflate(nil, fr.Payload, len(p))
			if err != nil || !bytes.Equal(again, p) {
				t.Fatalf("Inflate disagrees with compress/flate: %v", err)
			}
		}
		if !bytes.Equal(payload, p) {
			t.Fatalf("round trip: %d bytes in, %d out", len(p), len(payload))
		}
		// Inflating arbitrary bytes: never more than the bound.
		if max < 1 || max > 1<<16 {
			max = 1 << 10
		}
		out, err := Inflate(nil, p, max)
		if len(out) > max || (err == nil && len(out) > max) {
			t.Fatalf("inflated %d bytes over the bound %d", len(out), max)
		}
	})
}

// BenchmarkDeflateFramer: the cost of compressing an Action Cable
// broadcast by size, and the bytes it saves (the MinDeflateSize choice).
func BenchmarkDeflateFramer(b *testing.B) {
	msg := `{"identifier":"{\"channel\":\"ChatChannel\",\"room\":\"42\"}","message":{"text":"hello there, how are you","user":"someone"}}`
	for _, size := range []int{32, 64, 128, 192, 256, 512, 4096} {
		p := []byte(strings.Repeat(msg, size/len(msg)+1)[:size])
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			var frame []byte
			for b.Loop() {
				frame = deflating.compressed(nil, p, false)
			}
			b.ReportMetric(float64(len(frame)), "frame-bytes")
		})
	}
}

// Without a message size limit the inflated size is still bounded.
func TestAssemblerInflateBoundWithoutLimit(t *testing.T) {
	a := &Assembler{Deflate: true}
	bomb := clientFrame(t, true, ws.OpBinary, deflateRaw(make([]byte, MaxInflateUnlimited+1)))
	bomb[0] |= 0x40
	if _, _, err := pushFrame(t, a, bomb); !errors.Is(err, ErrTooBig) {
		t.Fatalf("17 MB from a small frame with no limit: %v", err)
	}
}

// Whatever the client offers, the server agrees at most once, and only to
// what it can keep: no context takeover both ways, a 32 KB window, and
// only when the client offered permessage-deflate.
func FuzzDeflateNegotiation(f *testing.F) {
	f.Add("permessage-deflate; client_max_window_bits")
	f.Add("permessage-deflate; server_max_window_bits=10, permessage-deflate")
	f.Add("x-webkit-deflate-frame, permessage-deflate; foo")
	f.Fuzz(func(t *testing.T, offer string) {
		if strings.ContainsAny(offer, "\r\n") {
			return
		}
		head := strings.TrimSuffix(sampleHead, "\r\n") + "Sec-WebSocket-Extensions: " + offer + "\r\n\r\n"
		req, resp, err := Upgrade([]byte(head), &UpgradeOptions{Compression: true})
		if err != nil {
			if req.Deflate {
				t.Fatal("refused upgrade with deflate agreed")
			}
			return
		}
		got := ""
		for _, line := range strings.Split(string(resp), "\r\n") {
			if k, v, ok := strings.Cut(line, ": "); ok && strings.EqualFold(k, "Sec-WebSocket-Extensions") {
				got = v
			}
		}
		if req.Deflate != (got != "") {
			t.Fatalf("deflate %v with response %q", req.Deflate, got)
		}
		if !req.Deflate {
			return
		}
		if !strings.Contains(offer, "permessage-deflate") {
			t.Fatalf("agreed %q to an offer without permessage-deflate: %q", got, offer)
		}
		const base = "permessage-deflate;server_no_context_takeover;client_no_context_takeover"
		if got != base && got != base+";server_max_window_bits=15" {
			t.Fatalf("agreed %q", got)
		}
	})
}
