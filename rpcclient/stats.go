package rpcclient

import "sync/atomic"

// Stats holds the RPC counters and gauges; the metrics endpoint reads them
// through Client.Stats.
type Stats struct {
	calls    atomic.Uint64 // rpc_call_total
	retries  atomic.Uint64 // rpc_retries_total
	errors   atomic.Uint64 // rpc_error_total
	timeouts atomic.Uint64 // rpc_timeout_total
	canceled atomic.Uint64 // rpc_canceled_total
	pending  atomic.Int64  // rpc_pending_num
}

// StatsSnapshot is a point-in-time copy of the RPC metrics.
type StatsSnapshot struct {
	CallTotal     uint64 // rpc_call_total
	RetriesTotal  uint64 // rpc_retries_total
	ErrorTotal    uint64 // rpc_error_total (timeouts included)
	TimeoutTotal  uint64 // rpc_timeout_total
	CanceledTotal uint64 // rpc_canceled_total
	PendingNum    int64  // rpc_pending_num: callers waiting for a permit
	CapacityNum   int64  // rpc_capacity_num: current concurrency limit
	// Adaptive is true with adaptive concurrency; rpc_capacity_num is only
	// exported then.
	Adaptive bool
	// GRPCActiveConnNum is grpc_active_conn_num; HasActiveConns is false for
	// transports that do not report it (HTTP), and then it is not exported.
	GRPCActiveConnNum int64
	HasActiveConns    bool
}
