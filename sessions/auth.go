package sessions

import (
	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/sessions/protocol"
)

// AuthOutcome and AuthResult are the protocol seam's (one vocabulary for
// the node's authenticators and a protocol's own authorization).
type (
	AuthOutcome = protocol.AuthOutcome
	AuthResult  = protocol.AuthResult
)

const (
	// AuthSkip: not for this authenticator (no token, ...); try the next one.
	AuthSkip = protocol.AuthSkip
	// AuthOK: accepted with Identifiers; no Connect call.
	AuthOK = protocol.AuthOK
	// AuthReject: disconnect(Reason, reconnect=false), then the protocol's
	// "auth failed" close (Action Cable: 1000 "Auth Failed").
	AuthReject = protocol.AuthReject
	// AuthError: the protocol's "auth error" close without a message
	// (Action Cable: 1011 "Auth Error").
	AuthError = protocol.AuthError
)

// Authenticator decides a connection before (or instead of) the RPC Connect
// call: JWT identification, --noauth/--public.
type Authenticator interface {
	Authenticate(sid string, req *frames.Request) AuthResult
}
