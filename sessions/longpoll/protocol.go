package longpoll

import (
	"net/http"

	"github.com/densecable/densecable/sessions/protocol"
)

// httpProtocol is Action Cable (or any protocol) over long polling: the
// same messages, but a session's end is an HTTP status, not a WebSocket
// close code. The core's CloseFor answer reaches Poll.Close, which uses it
// as the status of the session's last response.
type httpProtocol struct{ protocol.Protocol }

func (httpProtocol) CloseFor(kind protocol.CloseKind) (uint16, string) {
	switch kind {
	case protocol.CloseAuthFailed, protocol.CloseAuthError:
		return http.StatusUnauthorized, "Auth Failed"
	}
	return http.StatusOK, ""
}
