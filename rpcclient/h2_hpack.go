package rpcclient

import (
	"time"

	"golang.org/x/net/http2/hpack"
)

// h2reqHeaders encodes the request header blocks of one connection (its
// HPACK encoder's table must see the blocks in send order: guarded by the
// connection's wmu).
//
// A request's fields are eight constant per path (method, scheme, path,
// authority, content-type, te, user-agent, protov) and two never indexed
// (grpc-timeout, sid). Once the constant ones are in the dynamic table
// each encodes as one byte, but the encoder still searches its tables for
// every field of every call (about 3 µs of a connect + subscribe). The
// encoded constant part is therefore kept per path and reused while the
// table is unchanged: gen counts the changes, and a block is kept only if
// encoding it changed nothing, which is when every field came out as a
// one-byte index (a literal, which may add an entry, or a table size
// update starts with a byte below 0x80).
type h2reqHeaders struct {
	enc       *hpack.Encoder
	buf       appendBuffer
	authority string
	gen       uint64
	prefixes  [3]hpackPrefix // the anycable.RPC paths; others are not kept
}

// hpackPrefix is the encoded constant fields of path, valid at table gen.
type hpackPrefix struct {
	path string
	gen  uint64
	b    []byte
}

func newH2ReqHeaders(authority string) *h2reqHeaders {
	h := &h2reqHeaders{authority: authority}
	h.enc = hpack.NewEncoder(&h.buf)
	return h
}

// block returns the header block of a call; valid until the next call.
func (h *h2reqHeaders) block(path, sid string, timeout time.Duration) []byte {
	h.buf.b = h.buf.b[:0]
	h.constant(path)
	if timeout > 0 {
		_ = h.enc.WriteField(hpack.HeaderField{Name: "grpc-timeout", Value: grpcTimeout(timeout), Sensitive: true})
	}
	// The sid differs on every call: never indexed, so it does not churn
	// the table the constant fields live in.
	_ = h.enc.WriteField(hpack.HeaderField{Name: "sid", Value: sid, Sensitive: true})
	return h.buf.b
}

// setMaxTableSize applies the peer's SETTINGS_HEADER_TABLE_SIZE.
func (h *h2reqHeaders) setMaxTableSize(v uint32) {
	h.enc.SetMaxDynamicTableSizeLimit(v)
	h.gen++ // entries may be evicted, and a size update is due
}

func (h *h2reqHeaders) constant(path string) {
	var p *hpackPrefix
	for i := range h.prefixes {
		if q := &h.prefixes[i]; q.path == path || q.path == "" {
			p = q
			break
		}
	}
	if p != nil && p.path == path && p.gen == h.gen {
		h.buf.b = append(h.buf.b, p.b...)
		return
	}
	start := len(h.buf.b)
	for _, f := range [...]hpack.HeaderField{
		{Name: ":method", Value: "POST"},
		{Name: ":scheme", Value: "http"},
		{Name: ":path", Value: path},
		{Name: ":authority", Value: h.authority},
		{Name: "content-type", Value: "application/grpc"},
		{Name: "te", Value: "trailers"},
		{Name: "user-agent", Value: "densecable-grpc"},
		{Name: "protov", Value: ProtoVersions},
	} {
		_ = h.enc.WriteField(f)
	}
	enc := h.buf.b[start:]
	for _, c := range enc {
		if c < 0x80 {
			h.gen++ // the table changed (or may have): nothing kept is valid
			return
		}
	}
	if p != nil {
		p.path, p.gen, p.b = path, h.gen, append(p.b[:0], enc...)
	}
}
