package broker

import "sync/atomic"

// Stats counts what broadcasters receive. One instance is shared by every
// broadcaster of a process (and the HTTP endpoint); the metrics package reads
// it. The zero value is ready; a nil *Stats counts nothing.
//
// Mapping to the reference's metrics:
//   - Publications: publications_total — publications and remote commands
//     received by a single-node source (http, redisx, API publish).
//   - BroadcastMsg: the fan-out sources' part of broadcast_msg_total (redis,
//     nats count every publication); single-node sources reach
//     broadcast_msg_total where the broker hands them to local subscribers.
//   - RemoteCommands: remote_commands_total.
//   - FailedBroadcast: failed_broadcast_msg_total — payloads that are not a
//     publication, a batch or a known command.
type Stats struct {
	Publications    atomic.Uint64
	BroadcastMsg    atomic.Uint64
	RemoteCommands  atomic.Uint64
	FailedBroadcast atomic.Uint64
}
