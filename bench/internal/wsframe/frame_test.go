package wsframe

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/gobwas/ws"
)

// serverFrame builds an unmasked server frame by hand (independent of the
// code under test).
func serverFrame(fin bool, op byte, payload []byte) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	out := []byte{b0}
	switch n := len(payload); {
	case n <= 125:
		out = append(out, byte(n))
	case n <= 0xFFFF:
		out = append(out, 126, byte(n>>8), byte(n))
	default:
		out = append(out, 127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	return append(out, payload...)
}

func TestParseSizesAndPartialInput(t *testing.T) {
	for _, size := range []int{0, 1, 125, 126, 127, 65535, 65536, 70000} {
		payload := bytes.Repeat([]byte{'x'}, size)
		frame := serverFrame(true, OpText, payload)
		// Every strict prefix is incomplete, never an error.
		for cut := 0; cut < len(frame); cut += 1 + cut/3 {
			f, n, err := Parse(frame[:cut], 1<<20)
			if err != nil || n != 0 || f.Payload != nil {
				t.Fatalf("size %d cut %d: n=%d err=%v", size, cut, n, err)
			}
		}
		// Whole frame followed by the start of another.
		buf := append(append([]byte{}, frame...), 0x81)
		f, n, err := Parse(buf, 1<<20)
		if err != nil || n != len(frame) || !f.Fin || f.Op != OpText || !bytes.Equal(f.Payload, payload) {
			t.Fatalf("size %d: n=%d/%d err=%v fin=%v op=%d len=%d", size, n, len(frame), err, f.Fin, f.Op, len(f.Payload))
		}
	}
}

func TestParseRejectsInvalidFrames(t *testing.T) {
	cases := map[string]struct {
		b    []byte
		want error
	}{
		"rsv1":             {[]byte{0xC1, 0x00}, ErrReservedBits},
		"opcode 3":         {[]byte{0x83, 0x00}, ErrBadOpcode},
		"fragmented ping":  {[]byte{0x09, 0x00}, ErrBadControl},
		"long close":       {[]byte{0x88, 126, 0, 200}, ErrBadControl},
		"masked by server": {[]byte{0x81, 0x81, 1, 2, 3, 4, 'a'}, ErrMaskedServer},
		"too large":        {serverFrame(true, OpBinary, make([]byte, 300)), ErrTooLarge},
	}
	for name, c := range cases {
		if _, _, err := Parse(c.b, 256); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", name, err, c.want)
		}
	}
}

func TestAppendFrameMasksAndEncodesLength(t *testing.T) {
	key := [4]byte{0xA1, 0xB2, 0xC3, 0xD4}
	for _, size := range []int{0, 5, 125, 126, 65535, 65536} {
		payload := make([]byte, size)
		for i := range payload {
			payload[i] = byte(i * 7)
		}
		out := AppendFrame([]byte("prefix"), OpBinary, payload, key)
		out = out[len("prefix"):]
		if out[0] != 0x80|OpBinary || out[1]&0x80 == 0 {
			t.Fatalf("size %d: header %x", size, out[:2])
		}
		var head int
		var got uint64
		switch l := out[1] & 0x7F; l {
		case 126:
			got, head = uint64(binary.BigEndian.Uint16(out[2:])), 4
		case 127:
			got, head = binary.BigEndian.Uint64(out[2:]), 10
		default:
			got, head = uint64(l), 2
		}
		if got != uint64(size) {
			t.Fatalf("size %d encoded as %d", size, got)
		}
		if !bytes.Equal(out[head:head+4], key[:]) {
			t.Fatalf("size %d: mask key missing", size)
		}
		body := out[head+4:]
		for i := range body {
			if body[i]^key[i%4] != payload[i] {
				t.Fatalf("size %d: byte %d not masked correctly", size, i)
			}
		}
	}
}

func TestCloseCode(t *testing.T) {
	if CloseCode(nil) != 1005 || CloseCode([]byte{0x03, 0xE9, 'x'}) != 1001 {
		t.Fatal("close code parsing")
	}
}

// FuzzParse reads frames with Parse and with gobwas/ws (the oracle): a
// frame Parse returns is the one gobwas reads, and "need more bytes" means
// gobwas cannot read a whole frame either.
func FuzzParse(f *testing.F) {
	f.Add(serverFrame(true, OpText, []byte(`{"type":"welcome"}`)))
	f.Add(serverFrame(false, OpBinary, make([]byte, 200)))
	f.Add([]byte{0x89, 0x00})
	f.Add([]byte{0x82, 127, 0xFF, 0, 0, 0, 0, 0, 0, 1})
	f.Add([]byte{0x82, 126, 0x01})
	const maxPayload = 1 << 16
	f.Fuzz(func(t *testing.T, b []byte) {
		for len(b) > 0 {
			fr, n, err := Parse(b, maxPayload)
			if err != nil {
				return
			}
			if n == 0 {
				if _, rerr := ws.ReadFrame(bytes.NewReader(b)); rerr == nil {
					t.Fatalf("% x: Parse wants more bytes, gobwas read a frame", b)
				}
				return
			}
			rd := bytes.NewReader(b)
			h, rerr := ws.ReadHeader(rd)
			headLen := len(b) - rd.Len() // a length may be encoded longer than needed
			if rerr != nil || h.Masked || h.Fin != fr.Fin || byte(h.OpCode) != fr.Op || h.Length != int64(len(fr.Payload)) ||
				n != headLen+len(fr.Payload) || !bytes.Equal(fr.Payload, b[n-len(fr.Payload):n]) {
				t.Fatalf("% x: frame %+v (%d bytes), gobwas header %+v, %v", b, fr, n, h, rerr)
			}
			b = b[n:]
		}
	})
}
