package identity

import (
	"encoding/json"

	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/sessions"
)

// NoAuth accepts every connection without a Connect call (--noauth,
// --public); the identifiers are {"sid":"<sid>"}. Put it after the JWT
// authenticator: a present but invalid token is still rejected.
func NoAuth() sessions.Authenticator { return noAuth{} }

type noAuth struct{}

func (noAuth) Authenticate(sid string, _ *frames.Request) sessions.AuthResult {
	// Marshal the string alone: the same escaping as encoding a map, one
	// allocation fewer.
	q, _ := json.Marshal(sid)
	return sessions.AuthResult{Outcome: sessions.AuthOK, Identifiers: `{"sid":` + string(q) + `}`}
}
