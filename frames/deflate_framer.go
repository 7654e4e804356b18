package frames

import (
	"bytes"
	"slices"
	"sync"

	"github.com/klauspost/compress/flate"
)

// MinDeflateSize is the smallest payload DeflateFramer compresses: below it
// the frame goes out uncompressed (RSV1 clear, which RFC 7692 §6 allows).
// An Action Cable message under 128 bytes has little repetition: deflated
// it saved 2 bytes at 64 and grew at 128, for 1-2 µs of CPU each
// (BenchmarkDeflateFramer; docs/compression.md).
const MinDeflateSize = 128

// deflateTail is what every sync-flushed deflate stream ends with; RFC
// 7692 §7.2.1 removes it from the wire.
var deflateTail = []byte{0, 0, 0xff, 0xff}

// DeflateFramer frames messages for a connection that agreed on
// permessage-deflate, each message compressed on its own (what no context
// takeover requires, and what takeover allows). It is stateless like the
// plain framer, so a broadcast is compressed once and the frame is shared
// by every compressed subscriber of the same encoding.
func DeflateFramer() Framer { return deflating }

var deflating = &deflateFramer{}

type deflateFramer struct{}

func (f *deflateFramer) AppendFrame(dst, payload []byte, binary bool) []byte {
	if len(payload) < MinDeflateSize {
		return webSocket.AppendFrame(dst, payload, binary)
	}
	return f.compressed(dst, payload, binary)
}

// compressed frames payload compressed unless that does not make it smaller.
func (*deflateFramer) compressed(dst, payload []byte, binary bool) []byte {
	op := dataOp(binary)
	d := deflaters.Get().(*deflater)
	defer d.release()
	c := d.compress(payload)
	if len(c) >= len(payload) {
		// Incompressible: the plain frame is smaller.
		return AppendFrame(dst, op, payload)
	}
	dst = slices.Grow(dst, FrameSize(len(c)))
	start := len(dst)
	dst = AppendHeader(dst, op, len(c))
	dst[start] |= 0x40 // RSV1: this message is compressed
	return append(dst, c...)
}

// FrameSize is 0: the compressed size is known only once compressed, and
// AppendFrame then allocates exactly what the frame needs.
func (*deflateFramer) FrameSize(int) int { return 0 }

// deflater is a pooled compressor: only the goroutines framing a message
// at the moment hold one, never an idle connection.
type deflater struct {
	buf bytes.Buffer
	w   *flate.Writer
}

var deflaters = sync.Pool{New: func() any {
	d := &deflater{}
	// BestSpeed: a broadcast is compressed on the publishing path; the
	// level the reference uses too (gorilla/websocket's default).
	d.w, _ = flate.NewWriter(&d.buf, flate.BestSpeed)
	return d
}}

// compress deflates p as one message with a fresh window (no context
// takeover) and returns it without the trailing 00 00 ff ff; the result
// is valid until the deflater is reused.
func (d *deflater) compress(p []byte) []byte {
	d.buf.Reset()
	d.w.Reset(&d.buf)
	_, _ = d.w.Write(p) // writes to a bytes.Buffer do not fail
	_ = d.w.Flush()
	return bytes.TrimSuffix(d.buf.Bytes(), deflateTail)
}

// maxPooledDeflateBuffer keeps one huge broadcast from pinning its buffer
// in the pool.
const maxPooledDeflateBuffer = 1 << 20

func (d *deflater) release() {
	if d.buf.Cap() > maxPooledDeflateBuffer {
		d.buf = bytes.Buffer{}
	}
	deflaters.Put(d)
}
