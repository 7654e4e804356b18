package sessions

import (
	"context"

	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/rpcclient/rpcpb"
)

// Authenticate decides a one-off HTTP request (a Durable Streams read) the
// way a connection is decided: the node's authenticators (JWT, --noauth),
// then RPC Connect. No session is created, so nothing is disconnected
// afterwards. It may block on RPC: never call it on the event loop.
func (n *Node) Authenticate(ctx context.Context, req *frames.Request, remoteIP string) (identifiers string, ok bool) {
	sid := newSID()
	for _, a := range n.auth {
		res := a.Authenticate(sid, req)
		switch res.Outcome {
		case AuthSkip:
			continue
		case AuthOK:
			return res.Identifiers, true
		}
		n.stats.FailedAuths.Add(1)
		return "", false
	}
	if n.rpc == nil {
		n.stats.FailedAuths.Add(1)
		return "", false
	}
	h := map[string]string{}
	for _, kv := range envHeaders(req, remoteIP, n.opts.Headers, n.opts.ProxyCookies) {
		h[kv.Key] = kv.Value
	}
	env := &rpcpb.Env{Url: requestURL(req, n.opts.TLS), Headers: h}
	res, err := n.rpc.Connect(ctx, sid, &rpcpb.ConnectionRequest{Env: env})
	if err != nil || res.GetStatus() != rpcpb.Status_SUCCESS {
		n.stats.FailedAuths.Add(1)
		n.log.Debug("one-off request not authenticated", "sid", sid, "error", err)
		return "", false
	}
	return res.GetIdentifiers(), true
}
