package sessions

import "github.com/densecable/densecable/rpcclient/rpcpb"

// ChannelRouter handles channels locally instead of over RPC (signed
// streams, Turbo Streams, CableReady). A nil response means "not mine".
type ChannelRouter interface {
	Subscribe(sid, identifiers, identifier string) *rpcpb.CommandResponse
}
