package sessions

import (
	"context"
	"log/slog"

	"github.com/densecable/densecable/rpcclient/rpcpb"
	"github.com/densecable/densecable/sessions/protocol"
)

// rpcConnect asks the application to authenticate the session.
func (n *Node) rpcConnect(s *Session) {
	res, err := n.rpc.Connect(context.Background(), s.sid, &rpcpb.ConnectionRequest{Env: s.env(nil)})
	if err != nil {
		n.connectFailLog.Log(n.log, slog.LevelError, "RPC Connect failed", "sid", s.sid, "error", err)
		s.close(protocol.CloseAuthError)
		return
	}
	switch res.GetStatus() {
	case rpcpb.Status_SUCCESS:
		s.identifiers = res.GetIdentifiers()
		if e := res.GetEnv(); e != nil {
			s.cstate = mergeState(s.cstate, e.GetCstate())
		}
		s.interest = 1
		n.register(s)
		for _, t := range res.GetTransmissions() {
			s.sendTransmission("", t)
		}
		n.established(s)
	case rpcpb.Status_FAILURE:
		n.stats.FailedAuths.Add(1)
		for _, t := range res.GetTransmissions() {
			s.sendTransmission("", t)
		}
		n.log.Debug("authentication failed", "sid", s.sid)
		s.close(protocol.CloseAuthFailed)
	default:
		n.connectFailLog.Log(n.log, slog.LevelError, "RPC Connect failed", "sid", s.sid, "error", "Application error: "+res.GetErrorMsg())
		s.close(protocol.CloseAuthError)
	}
}
