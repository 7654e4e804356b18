package frames

import (
	"net/http"
	"strconv"
)

// AppendResponseHead appends an HTTP/1.1 status line, the headers as given
// and the blank line ending the head. Transports on held HTTP requests
// (SSE, long polling) write their responses with it; the caller adds the
// framing headers (Content-Length, Transfer-Encoding) it needs.
func AppendResponseHead(dst []byte, status int, headers []Header) []byte {
	dst = append(dst, "HTTP/1.1 "...)
	dst = strconv.AppendInt(dst, int64(status), 10)
	dst = append(dst, ' ')
	dst = append(dst, http.StatusText(status)...)
	dst = append(dst, "\r\n"...)
	for _, h := range headers {
		dst = append(dst, h.Key...)
		dst = append(dst, ": "...)
		dst = append(dst, h.Value...)
		dst = append(dst, "\r\n"...)
	}
	return append(dst, "\r\n"...)
}
