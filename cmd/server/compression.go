package server

// enableCompression accepts permessage-deflate offers on every WebSocket
// endpoint (--enable_ws_compression); takeover lets clients keep their
// compression window (--ws_compression_context_takeover;
// docs/compression.md).
func (h *wsHandler) enableCompression(takeover bool) {
	h.opts.Compression = true
	h.opts.ContextTakeover = takeover
	for i := range h.endpoints {
		h.endpoints[i].opts.Compression = true
		h.endpoints[i].opts.ContextTakeover = takeover
	}
}
