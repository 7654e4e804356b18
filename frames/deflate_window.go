package frames

// inflateWindow is what a client compressing with context takeover may
// refer back to: the tail of the messages it compressed so far, at most
// its LZ77 window. It replaces a decompressor kept per connection: the
// pooled inflater is primed with it for each message (flate's dictionary),
// so a connection holds only these bytes, allocated on its first
// compressed message and grown up to the window.
type inflateWindow struct{ buf []byte }

// windowSize is the history kept for a client window of 2^bits bytes. zlib
// cannot compress with a 256-byte window and silently uses 512 bytes when
// asked for 8 bits, so a client that offered 8 may refer back 512 bytes.
func windowSize(bits uint8) int {
	return 1 << max(bits, 9)
}

// add appends a compressed message's inflated bytes p (uncompressed
// messages are not part of the sender's deflate stream) and keeps the
// last size bytes.
func (w *inflateWindow) add(p []byte, size int) {
	if len(p) > size {
		p = p[len(p)-size:]
	}
	keep := min(len(w.buf), size-len(p))
	old := w.buf[len(w.buf)-keep:]
	if need := keep + len(p); cap(w.buf) < need {
		// Grow by doubling, up to the window: a client sending small
		// messages holds little.
		nb := make([]byte, keep, min(size, max(need, 2*cap(w.buf))))
		copy(nb, old)
		w.buf = nb
	} else {
		copy(w.buf, old) // overlapping: copy moves like memmove
		w.buf = w.buf[:keep]
	}
	w.buf = append(w.buf, p...)
}

// inflateTakeover inflates a compressed message against the connection's
// history, then adds it to the history.
func (a *Assembler) inflateTakeover(m Message, max int) (Message, bool, error) {
	if a.window == nil {
		a.window = &inflateWindow{}
	}
	p, err := inflateWith(nil, m.Payload, max, a.window.buf)
	if err != nil {
		return Message{}, false, err
	}
	a.window.add(p, windowSize(a.DeflateWindowBits))
	m.Payload = p
	return m, true, validate(m)
}
