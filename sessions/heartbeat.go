package sessions

import "github.com/densecable/densecable/internal/heartbeat"

// Heartbeats are the node's loops the systemd watchdog checks: the ping
// scheduler, the shared timer every session's pings hang on.
func (n *Node) Heartbeats() []*heartbeat.Beat { return []*heartbeat.Beat{n.pinger.beat} }
