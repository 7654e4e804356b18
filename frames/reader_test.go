package frames

import (
	"bytes"
	"testing"
	"unicode/utf8"

	"github.com/gobwas/ws"
)

// clientFrame builds a masked client frame the way a browser would.
func clientFrame(t testing.TB, fin bool, op ws.OpCode, payload []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	f := ws.NewFrame(op, fin, append([]byte(nil), payload...))
	f = ws.MaskFrameInPlace(f)
	if err := ws.WriteFrame(&buf, f); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func parseOne(t *testing.T, b []byte) (ws.Header, []byte) {
	t.Helper()
	n := HeaderSize(b[0], b[1])
	h, hn, err := ParseHeader(b)
	if err != nil {
		t.Fatalf("ParseHeader: %v", err)
	}
	if hn != n {
		t.Fatalf("header size %d, HeaderSize said %d", hn, n)
	}
	payload := b[n : n+int(h.Length)]
	Unmask(h, payload)
	return h, payload
}

func TestParseHeaderLengths(t *testing.T) {
	for _, size := range []int{0, 1, 125, 126, 65535, 65536, 70000} {
		payload := bytes.Repeat([]byte("x"), size)
		b := clientFrame(t, true, ws.OpText, payload)
		h, got := parseOne(t, b)
		if int(h.Length) != size || !bytes.Equal(got, payload) || !h.Fin || h.OpCode != ws.OpText {
			t.Fatalf("size %d: got header %+v and %d bytes", size, h, len(got))
		}
	}
}

func TestParseHeaderRejects(t *testing.T) {
	unmasked := []byte{0x81, 0x01, 'a'}
	if _, _, err := ParseHeader(unmasked); err != ErrNotMasked {
		t.Errorf("unmasked: %v", err)
	}
	rsv := clientFrame(t, true, ws.OpText, []byte("a"))
	rsv[0] |= 0x40
	if _, _, err := ParseHeader(rsv); err != ErrReservedBits {
		t.Errorf("rsv: %v", err)
	}
	badOp := clientFrame(t, true, ws.OpText, []byte("a"))
	badOp[0] = 0x83
	if _, _, err := ParseHeader(badOp); err != ErrBadOpCode {
		t.Errorf("opcode: %v", err)
	}
	fragPing := clientFrame(t, false, ws.OpPing, []byte("a"))
	if _, _, err := ParseHeader(fragPing); err != ErrBadControl {
		t.Errorf("fragmented ping: %v", err)
	}
	huge := []byte{0x82, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}
	if _, _, err := ParseHeader(huge); err != ErrTooBig {
		t.Errorf("forged length: %v", err)
	}
}

func TestAssemblerFragments(t *testing.T) {
	a := Assembler{MaxSize: 10}
	push := func(fin bool, op ws.OpCode, p string) (Message, bool, error) {
		return a.Push(ws.Header{Fin: fin, OpCode: op, Length: int64(len(p))}, []byte(p))
	}
	if _, done, err := push(false, ws.OpText, "hel"); done || err != nil {
		t.Fatalf("first fragment: done=%v err=%v", done, err)
	}
	// A ping in the middle of a fragmented message passes through.
	if m, done, err := push(true, ws.OpPing, "p"); !done || err != nil || m.OpCode != ws.OpPing {
		t.Fatalf("interleaved ping: %+v %v %v", m, done, err)
	}
	m, done, err := push(true, ws.OpContinuation, "lo")
	if !done || err != nil || string(m.Payload) != "hello" || m.OpCode != ws.OpText {
		t.Fatalf("assembled: %q %v %v", m.Payload, done, err)
	}
	if _, _, err := push(true, ws.OpContinuation, "x"); err != ErrBadContinuation {
		t.Fatalf("stray continuation: %v", err)
	}
	push(false, ws.OpBinary, "123456")
	if _, _, err := push(true, ws.OpContinuation, "78901"); err != ErrTooBig {
		t.Fatalf("oversized fragmented message: %v", err)
	}
	// A first fragment over the limit is refused before it is buffered.
	if _, _, err := push(false, ws.OpText, "12345678901"); err != ErrTooBig || a.Buffered() != 0 {
		t.Fatalf("oversized first fragment: %v, %d buffered", err, a.Buffered())
	}
}

func TestAssemblerRejectsInvalidUTF8(t *testing.T) {
	a := Assembler{}
	_, _, err := a.Push(ws.Header{Fin: true, OpCode: ws.OpText, Length: 2}, []byte{0xff, 0xfe})
	if err != ErrInvalidUTF8 {
		t.Fatalf("got %v", err)
	}
	// Binary frames carry any bytes.
	if _, done, err := a.Push(ws.Header{Fin: true, OpCode: ws.OpBinary, Length: 2}, []byte{0xff, 0xfe}); !done || err != nil {
		t.Fatalf("binary: %v %v", done, err)
	}
}

func TestAppendFrameRoundTrip(t *testing.T) {
	for _, size := range []int{0, 10, 125, 126, 1000, 70000} {
		payload := bytes.Repeat([]byte("y"), size)
		b := AppendFrame(nil, ws.OpBinary, payload)
		if len(b) != FrameSize(size) {
			t.Fatalf("size %d: frame %d bytes, FrameSize %d", size, len(b), FrameSize(size))
		}
		f, err := ws.ReadFrame(bytes.NewReader(b))
		if err != nil || !bytes.Equal(f.Payload, payload) || f.Header.OpCode != ws.OpBinary || !f.Header.Fin {
			t.Fatalf("size %d: %v %+v", size, err, f.Header)
		}
	}
}

func TestAppendClose(t *testing.T) {
	b := AppendClose(nil, CloseNormal, "Auth Failed")
	f, err := ws.ReadFrame(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	code, reason := ParseClose(f.Payload)
	if f.Header.OpCode != ws.OpClose || code != CloseNormal || reason != "Auth Failed" {
		t.Fatalf("got %v %d %q", f.Header.OpCode, code, reason)
	}
}

// FuzzParseFrames checks ParseHeader against gobwas/ws's own header reader
// (the oracle) and the Assembler against a model: a complete message is the
// payloads of its frames joined, never more than MaxSize, valid UTF-8 when
// it is text; a control frame passes through unchanged.
func FuzzParseFrames(f *testing.F) {
	f.Add(clientFrame(f, true, ws.OpText, []byte(`{"command":"subscribe"}`)))
	f.Add(clientFrame(f, false, ws.OpText, []byte("frag")))
	f.Add([]byte{0x88, 0x80, 1, 2, 3, 4})
	f.Add([]byte{0x82, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Add(append(append(clientFrame(f, false, ws.OpText, []byte("ab")), clientFrame(f, true, ws.OpPing, []byte("p"))...),
		clientFrame(f, true, ws.OpContinuation, []byte("c\xce"))...))
	const maxSize = 1 << 10
	f.Fuzz(func(t *testing.T, data []byte) {
		a := Assembler{MaxSize: maxSize}
		var model []byte // the fragmented message so far
		modelOp, active := ws.OpCode(0), false
		for len(data) >= 2 {
			n := HeaderSize(data[0], data[1])
			if len(data) < n {
				return
			}
			h, hn, err := ParseHeader(data)
			ref, refErr := ws.ReadHeader(bytes.NewReader(data))
			if err != nil {
				return
			}
			if refErr != nil || hn != n || h != ref {
				t.Fatalf("% x: header %+v (%d bytes), gobwas %+v, %v", data[:n], h, hn, ref, refErr)
			}
			if h.Length > int64(len(data)-n) || h.Length > maxSize {
				// Every engine refuses a frame over MaxSize before Push (a
				// first fragment over it would be buffered whole).
				return
			}
			payload := data[n : n+int(h.Length)]
			Unmask(h, payload)
			plain := append([]byte(nil), payload...)
			m, done, err := a.Push(h, payload)
			switch {
			case h.OpCode.IsControl():
				if err != nil || !done || m.OpCode != h.OpCode || !bytes.Equal(m.Payload, plain) {
					t.Fatalf("control frame %+v: %+v, %v, %v", h, m, done, err)
				}
			case h.OpCode == ws.OpContinuation && !active, h.OpCode != ws.OpContinuation && active:
				if err != ErrBadContinuation {
					t.Fatalf("frame %+v out of sequence: %v", h, err)
				}
				return
			case len(model)+len(plain) > maxSize:
				if err != ErrTooBig {
					t.Fatalf("message of %d bytes over %d: %v", len(model)+len(plain), maxSize, err)
				}
				return
			case !h.Fin:
				if err != nil || done {
					t.Fatalf("first fragments: %v, %v", done, err)
				}
				if !active {
					modelOp, active = h.OpCode, true
				}
				model = append(model, plain...)
			default:
				op := h.OpCode
				if active {
					op = modelOp
				}
				want := append(model, plain...)
				model, active = nil, false
				if !done || m.OpCode != op || !bytes.Equal(m.Payload, want) {
					t.Fatalf("message %+v (done %v), want %v %q", m, done, op, want)
				}
				if (op == ws.OpText && !utf8.Valid(want)) != (err == ErrInvalidUTF8) {
					t.Fatalf("text %q: %v", want, err)
				}
				if err != nil {
					return
				}
			}
			data = data[n+int(h.Length):]
		}
	})
}

func TestValidCloseCode(t *testing.T) {
	for _, ok := range []uint16{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4000, 4999} {
		if !ValidCloseCode(ok) {
			t.Errorf("%d rejected", ok)
		}
	}
	for _, bad := range []uint16{0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535} {
		if ValidCloseCode(bad) {
			t.Errorf("%d accepted", bad)
		}
	}
}

func TestAssemblerBuffered(t *testing.T) {
	a := Assembler{}
	a.Push(ws.Header{OpCode: ws.OpText, Length: 3}, []byte("abc"))
	if a.Buffered() != 3 || !a.Active() {
		t.Fatalf("buffered %d active %v", a.Buffered(), a.Active())
	}
	a.Push(ws.Header{Fin: true, OpCode: ws.OpContinuation, Length: 2}, []byte("de"))
	if a.Buffered() != 0 || a.Active() {
		t.Fatalf("after the last fragment: buffered %d active %v", a.Buffered(), a.Active())
	}
}
