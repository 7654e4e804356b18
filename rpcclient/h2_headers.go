package rpcclient

import (
	"golang.org/x/net/http2/hpack"
)

// h2headers decodes the server's header blocks (HEADERS and its
// CONTINUATIONs) and keeps only the three fields a unary call's outcome
// depends on. It replaces the framer's MetaHeadersFrame, which costs about
// six allocations per block (the frame, its growing field slice, the
// validation closures) on every reply's headers and trailers; here the
// fields go straight from the HPACK decoder into a reused value, and
// fields indexed in the HPACK table (all of them in a steady stream of
// replies) allocate nothing.
//
// Like the framer it decodes every field, so the dynamic table stays in
// step with the server's, but keeps none past maxSize bytes (the header
// list size we announced; each field counts its name, value and 32, as
// SETTINGS_MAX_HEADER_LIST_SIZE does), and bounds each string it decodes.
type h2headers struct {
	dec     *hpack.Decoder
	maxSize int

	// The block being decoded.
	id        uint32
	endStream bool
	size      int
	fields    h2fields
}

// h2fields is what a header block said; set tells which ones it carried
// (a later block, the trailers, only overrides those).
type h2fields struct {
	httpStatus, grpcStatus, grpcMsg string
	set                             uint8
}

const (
	hasHTTPStatus uint8 = 1 << iota
	hasGRPCStatus
	hasGRPCMsg
)

func newH2Headers(maxSize int) *h2headers {
	h := &h2headers{maxSize: maxSize}
	h.dec = hpack.NewDecoder(4096, h.field)
	h.dec.SetMaxStringLength(maxSize)
	return h
}

// begin starts the block of stream id (a HEADERS frame).
func (h *h2headers) begin(id uint32, endStream bool) {
	h.id, h.endStream, h.size, h.fields = id, endStream, 0, h2fields{}
}

// write decodes one fragment of the block; an error is a connection error
// (COMPRESSION_ERROR: the HPACK state is lost).
func (h *h2headers) write(frag []byte) error {
	_, err := h.dec.Write(frag)
	return err
}

// end finishes the block at END_HEADERS.
func (h *h2headers) end() error { return h.dec.Close() }

func (h *h2headers) field(f hpack.HeaderField) {
	h.size += len(f.Name) + len(f.Value) + 32
	if h.size > h.maxSize {
		return // decoded for the table's sake, not kept
	}
	switch f.Name {
	case ":status":
		h.fields.httpStatus = f.Value
		h.fields.set |= hasHTTPStatus
	case "grpc-status":
		h.fields.grpcStatus = f.Value
		h.fields.set |= hasGRPCStatus
	case "grpc-message":
		h.fields.grpcMsg = f.Value
		h.fields.set |= hasGRPCMsg
	}
}

// apply records what the block said in s (called with smu held).
func (f *h2fields) apply(s *h2call) {
	if f.set&hasHTTPStatus != 0 {
		s.httpStatus = f.httpStatus
	}
	if f.set&hasGRPCStatus != 0 {
		s.grpcStatus = f.grpcStatus
		s.gotStatus = true
	}
	if f.set&hasGRPCMsg != 0 {
		s.grpcMsg = f.grpcMsg
	}
}
