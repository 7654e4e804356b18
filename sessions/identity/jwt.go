// Package identity holds the RPC-less authenticators: JWT identification
// and the accept-everyone authenticator of --noauth/--public.
package identity

import (
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/sessions"
)

// DefaultParam is the default --jwt_param: the query parameter "jid" and the
// header "X-JID".
const DefaultParam = "jid"

// Disconnect reasons sent on rejection.
const (
	ReasonUnauthorized = "unauthorized"
	ReasonExpired      = "token_expired"
)

// JWTOptions configures JWT identification.
type JWTOptions struct {
	// Secret is the HMAC key (--jwt_secret, else --secret); empty disables
	// JWT identification.
	Secret string
	// Param names the query parameter and, prefixed with "X-", the header
	// that carry the token (--jwt_param); empty means DefaultParam.
	Param string
	// Enforce rejects connections that bring no token (--enforce_jwt).
	Enforce bool
	// Now is the clock; nil means time.Now. Tests set it.
	Now func() time.Time
}

// JWT identifies connections by a signed token whose ext claim holds the
// connection identifiers, so no Connect call is needed.
type JWT struct {
	key     []byte
	param   string
	header  string
	enforce bool
	now     func() time.Time
	log     *slog.Logger
}

var _ sessions.Authenticator = (*JWT)(nil)

// NewJWT builds the JWT authenticator. With an empty secret it is disabled
// and skips every connection.
func NewJWT(opts JWTOptions, log *slog.Logger) *JWT {
	if opts.Param == "" {
		opts.Param = DefaultParam
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &JWT{
		key:     []byte(opts.Secret),
		param:   opts.Param,
		header:  TokenHeader(opts.Param),
		enforce: opts.Enforce,
		now:     opts.Now,
		log:     log,
	}
}

// TokenHeader is the lower-cased request header that carries the token for
// param: "x-" + param. The RPC env should pass it on like the configured
// --headers.
func TokenHeader(param string) string {
	return "x-" + strings.ToLower(param)
}

// Enabled reports whether a secret is set.
func (j *JWT) Enabled() bool { return len(j.key) > 0 }

// Authenticate implements sessions.Authenticator.
func (j *JWT) Authenticate(sid string, req *frames.Request) sessions.AuthResult {
	if !j.Enabled() {
		return sessions.AuthResult{Outcome: sessions.AuthSkip}
	}
	raw := j.token(req)
	if raw == "" {
		if j.enforce {
			j.log.Debug("JWT token is missing", "sid", sid)
			return reject(ReasonUnauthorized)
		}
		return sessions.AuthResult{Outcome: sessions.AuthSkip}
	}
	ext, err := verifyToken(raw, j.key, j.now())
	switch {
	case err == nil:
		return sessions.AuthResult{Outcome: sessions.AuthOK, Identifiers: ext}
	case errors.Is(err, errExpired):
		j.log.Debug("JWT token has expired", "sid", sid)
		return reject(ReasonExpired)
	case errors.Is(err, errNoExt):
		j.log.Error("JWT token is valid but has no string ext claim", "sid", sid)
		return sessions.AuthResult{Outcome: sessions.AuthError}
	default:
		j.log.Debug("invalid JWT token", "sid", sid, "error", err)
		return reject(ReasonUnauthorized)
	}
}

func reject(reason string) sessions.AuthResult {
	return sessions.AuthResult{Outcome: sessions.AuthReject, Reason: reason}
}

// token finds the raw token: a real X-<param> header (present, even if
// empty, it wins), else the anycable-token.<TOKEN> sub-protocol, which stands
// for that header, else the query parameter.
func (j *JWT) token(req *frames.Request) string {
	if req == nil {
		return ""
	}
	for i := range req.Headers {
		if req.Headers[i].Key == j.header {
			return req.Headers[i].Value
		}
	}
	if req.Token != "" {
		return req.Token
	}
	return queryParam(req.URI, j.param)
}

// queryParam returns the first value of name in uri's query. A malformed
// query yields nothing, as in anycable-go, rather than a partial parse.
func queryParam(uri, name string) string {
	_, q, found := strings.Cut(uri, "?")
	if !found {
		return ""
	}
	q, _, _ = strings.Cut(q, "#")
	vals, err := url.ParseQuery(q)
	if err != nil {
		return ""
	}
	if v := vals[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}
