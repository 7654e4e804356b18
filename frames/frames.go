// Package frames is the WebSocket layer: the HTTP upgrade and the frame
// format (RFC 6455) on top of github.com/gobwas/ws. It works on byte slices
// handed to it by the poller and knows nothing about sockets or sessions.
package frames

import (
	"errors"
	"strconv"

	"github.com/gobwas/ws"
)

// Close codes used by densecable (RFC 6455 §7.4.1).
const (
	CloseNormal          = uint16(ws.StatusNormalClosure)           // 1000
	CloseGoingAway       = uint16(ws.StatusGoingAway)               // 1001
	CloseProtocolError   = uint16(ws.StatusProtocolError)           // 1002
	CloseUnsupported     = uint16(ws.StatusUnsupportedData)         // 1003
	CloseNoStatus        = uint16(ws.StatusNoStatusRcvd)            // 1005
	CloseAbnormal        = uint16(ws.StatusAbnormalClosure)         // 1006
	CloseInvalidPayload  = uint16(ws.StatusInvalidFramePayloadData) // 1007
	ClosePolicyViolation = uint16(ws.StatusPolicyViolation)         // 1008
	CloseMessageTooBig   = uint16(ws.StatusMessageTooBig)           // 1009
	CloseInternalError   = uint16(ws.StatusInternalServerError)     // 1011
)

// Protocol errors: each carries the close code the peer must get.
var (
	ErrTooBig          = &CloseError{Code: CloseMessageTooBig}
	ErrNotMasked       = &CloseError{Code: CloseProtocolError, Reason: "unmasked client frame"}
	ErrReservedBits    = &CloseError{Code: CloseProtocolError, Reason: "reserved bits set"}
	ErrBadOpCode       = &CloseError{Code: CloseProtocolError, Reason: "unknown opcode"}
	ErrBadControl      = &CloseError{Code: CloseProtocolError, Reason: "invalid control frame"}
	ErrBadContinuation = &CloseError{Code: CloseProtocolError, Reason: "unexpected continuation frame"}
	ErrInvalidUTF8     = &CloseError{Code: CloseInvalidPayload, Reason: "invalid UTF-8"}
)

// CloseError is a protocol violation that ends the connection with Code.
type CloseError struct {
	Code   uint16
	Reason string
}

func (e *CloseError) Error() string {
	if e.Reason == "" {
		return "websocket: close " + strconv.Itoa(int(e.Code))
	}
	return "websocket: " + e.Reason
}

// AsCloseError extracts the close code for err, or 1006 if it is not a
// protocol error.
func AsCloseError(err error) *CloseError {
	var ce *CloseError
	if errors.As(err, &ce) {
		return ce
	}
	return &CloseError{Code: CloseAbnormal, Reason: "Read failed"}
}
