package sessions

import "github.com/densecable/densecable/rpcclient/rpcpb"

// ChannelRouter handles channels locally instead of over RPC (signed
// streams, Turbo Streams, CableReady). A nil response means "not mine".
// clientCommands says whether the subscriber may send the commands a
// channel's state serves (whisper, presence): without them the router
// keeps no state for it (protocol.Policy.ListenOnly).
type ChannelRouter interface {
	Subscribe(sid, identifiers, identifier string, clientCommands bool) *rpcpb.CommandResponse
}
