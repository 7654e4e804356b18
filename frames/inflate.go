package frames

import (
	"errors"
	"io"
	"slices"
	"sync"

	"github.com/klauspost/compress/flate"
)

// ErrBadDeflate is a compressed message that does not inflate.
var ErrBadDeflate = &CloseError{Code: CloseInvalidPayload, Reason: "invalid compressed data"}

// MaxInflateUnlimited bounds an inflated message when no message size
// limit is set (--max_message_size=0): the wire size is then unbounded, but
// a few kilobytes must not become gigabytes.
const MaxInflateUnlimited = 16 << 20

// inflateEnd restores the 00 00 ff ff the sender removed (RFC 7692
// §7.2.2) and adds an empty final stored block, so that the stream ends
// where the message does.
var inflateEnd = []byte{0, 0, 0xff, 0xff, 1, 0, 0, 0xff, 0xff}

// Inflate appends the inflated message p (without context takeover: every
// message has its own window) to dst. The inflated size is bounded: more
// than max bytes (max > 0) is ErrTooBig, whatever the compression ratio,
// and at most max+1 bytes are ever produced. Bad data is ErrBadDeflate.
func Inflate(dst, p []byte, max int) ([]byte, error) {
	return inflateWith(dst, p, max, nil)
}

// inflateWith is Inflate for a message that may refer back into history,
// the earlier messages of a client compressing with context takeover.
func inflateWith(dst, p []byte, max int, history []byte) ([]byte, error) {
	in := inflaters.Get().(*inflater)
	defer in.release()
	in.src = messageReader{p: p, tail: inflateEnd}
	if err := in.r.(flate.Resetter).Reset(&in.src, history); err != nil {
		return dst, ErrBadDeflate
	}
	start := len(dst)
	guess := 2*len(p) + 64
	if max > 0 && guess > max+1 {
		guess = max + 1
	}
	dst = slices.Grow(dst, guess)
	for {
		if len(dst) == cap(dst) {
			dst = append(dst, 0)[:len(dst)] // let append pick the growth
		}
		room := dst[len(dst):cap(dst)]
		if max > 0 && len(dst)-start+len(room) > max+1 {
			room = room[:max+1-(len(dst)-start)]
		}
		n, err := in.r.Read(room)
		dst = dst[:len(dst)+n]
		if max > 0 && len(dst)-start > max {
			return dst[:start], ErrTooBig
		}
		switch {
		case errors.Is(err, io.EOF):
			return dst, nil
		case err != nil:
			return dst[:start], ErrBadDeflate
		}
	}
}

// inflater is a pooled decompressor (its 32 KB window and tables): a
// connection holds none between messages.
type inflater struct {
	src messageReader
	r   io.ReadCloser
}

var inflaters = sync.Pool{New: func() any {
	in := &inflater{}
	in.r = flate.NewReader(&in.src)
	return in
}}

// release returns the inflater to the pool without the message it read,
// which must not stay reachable from the pool.
func (in *inflater) release() {
	in.src = messageReader{}
	inflaters.Put(in)
}

// messageReader reads p then tail. It is an io.ByteReader so that the
// decompressor reads it directly, without a bufio.Reader of its own.
type messageReader struct{ p, tail []byte }

// next moves on to the tail when p is read; false at the end.
func (m *messageReader) next() bool {
	if len(m.p) == 0 {
		m.p, m.tail = m.tail, nil
	}
	return len(m.p) > 0
}

func (m *messageReader) Read(b []byte) (int, error) {
	if !m.next() {
		return 0, io.EOF
	}
	n := copy(b, m.p)
	m.p = m.p[n:]
	return n, nil
}

func (m *messageReader) ReadByte() (byte, error) {
	if !m.next() {
		return 0, io.EOF
	}
	c := m.p[0]
	m.p = m.p[1:]
	return c, nil
}
