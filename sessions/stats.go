package sessions

import "sync/atomic"

// Stats are the node's counters and gauges (anycable-go's metric names in
// comments).
type Stats struct {
	ClientMessages       atomic.Uint64 // client_msg_total
	FailedClientMessages atomic.Uint64 // failed_client_msg_total
	ServerMessages       atomic.Uint64 // server_msg_total
	FailedServerMessages atomic.Uint64 // failed_server_msg_total
	BytesReceived        atomic.Uint64 // data_rcvd_total
	FailedAuths          atomic.Uint64 // failed_auths_total
	SlowClients          atomic.Uint64 // disconnected_slow_clients_total
	RemoteCommands       atomic.Uint64 // remote_commands_total
	CanceledCommands     atomic.Uint64 // rpc_canceled_total (dropped before the call)
	Clients              atomic.Int64  // clients_num
	DisconnectQueue      atomic.Int64  // disconnect_queue_size
}
