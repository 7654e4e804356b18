package server

// enableCompression accepts permessage-deflate offers on every WebSocket
// endpoint (--enable_ws_compression; docs/compression.md).
func (h *wsHandler) enableCompression() {
	h.opts.Compression = true
	for i := range h.endpoints {
		h.endpoints[i].opts.Compression = true
	}
}
