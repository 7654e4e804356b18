package swarm

import (
	"bytes"

	"github.com/klauspost/compress/flate"
)

// commandDeflater compresses the client's commands (Config.DeflateCommands),
// each message on its own: valid whether or not context takeover was
// agreed, and no compressor per connection in the load generator. A
// server allowing takeover still keeps a window per connection for it,
// which is what the idle benchmark measures.
type commandDeflater struct {
	buf bytes.Buffer
	w   *flate.Writer
}

// compress returns p deflated as one message, without the 00 00 ff ff tail
// (RFC 7692 §7.2.1); valid until the next call.
func (d *commandDeflater) compress(p []byte) []byte {
	if d.w == nil {
		d.w, _ = flate.NewWriter(&d.buf, flate.BestSpeed)
	}
	d.buf.Reset()
	d.w.Reset(&d.buf)
	_, _ = d.w.Write(p)
	_ = d.w.Flush()
	return bytes.TrimSuffix(d.buf.Bytes(), []byte{0, 0, 0xff, 0xff})
}
