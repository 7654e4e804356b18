package sessions

import "github.com/densecable/densecable/frames"

// AuthOutcome is what an Authenticator decided.
type AuthOutcome uint8

const (
	// AuthSkip: not for this authenticator (no token, ...); try the next one.
	AuthSkip AuthOutcome = iota
	// AuthOK: accepted with Identifiers; no Connect call.
	AuthOK
	// AuthReject: send disconnect(Reason, reconnect=false), close 1000 "Auth Failed".
	AuthReject
	// AuthError: close 1011 "Auth Error" without a message.
	AuthError
)

// AuthResult is an Authenticator's answer.
type AuthResult struct {
	Outcome     AuthOutcome
	Identifiers string
	Reason      string
}

// Authenticator decides a connection before (or instead of) the RPC Connect
// call: JWT identification, --noauth/--public.
type Authenticator interface {
	Authenticate(sid string, req *frames.Request) AuthResult
}
