package graphql

import (
	"net/url"
	"strings"

	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/sessions/protocol"
)

// Handshake implements protocol.Handshaker: connection_init's params go to
// the application as the x-apollo-connection header (JSON text), and a
// JWT in them (the --jwt_param member, "jid") to JWT identification as
// that query parameter, unless the URL has one.
func (p *Protocol) Handshake(req *frames.Request, m *protocol.Command) (*frames.Request, []frames.Header) {
	params := m.RawData
	if len(params) == 0 {
		return req, nil
	}
	env := []frames.Header{{Key: ConnectionHeader, Value: string(params)}}
	auth := *req
	auth.Headers = append(append([]frames.Header(nil), req.Headers...), env[0])
	if tok := stringMember(params, 0, p.opts.JWTParam); tok != "" && !req.Query().Has(p.opts.JWTParam) {
		sep := "?"
		if strings.IndexByte(auth.URI, '?') >= 0 {
			sep = "&"
		}
		auth.URI += sep + url.QueryEscape(p.opts.JWTParam) + "=" + url.QueryEscape(tok)
	}
	return &auth, env
}
