// Package broker holds the contracts that move broadcasts between the outside
// world and the fanout (Publication and its parser, Broker, PubSub,
// Broadcaster, Handler); the implementations live in sub-folders by role:
//
//	broadcast/{redis,redisx,nats}  broadcast adapters: publications in from Redis Pub/Sub, Redis Streams, NATS
//	store/{memory,redis,nats}      brokers: stream history and offsets, session cache, presence
//	pubsub                         node-to-node pub/sub (memory, Redis, NATS)
//	conn/{redis,nats}              shared connection setup and health monitors
//	embeddednats                   the embedded NATS server (--embed_nats)
//	internal/backoff               the one start/retry/reconnect skeleton
//	brokertest, testservers        test support: conformance suite, real Redis/NATS servers
package broker

import "context"

// Publication is one broadcast message for a stream, as published by the
// application ({"stream":..,"data":..,"meta":{..}}).
type Publication struct {
	Stream string
	Data   string
	Meta   Meta
	// Set by a broker that stores history; empty Epoch means "no offset".
	Epoch  string
	Offset uint64
}

// Meta is the publication's meta object; other keys are ignored.
type Meta struct {
	ExcludeSocket string
	BroadcastType string
	Transient     bool
}

// RemoteCommand is {"command":"disconnect","payload":{"identifier":..,"reconnect":..}}.
type RemoteCommand struct {
	Command    string
	Identifier string
	Reconnect  bool
}

// Handler receives what broadcasters read. Implementations must not block for
// long: they hand work to the fanout.
type Handler interface {
	HandleBroadcast(p *Publication)
	HandleCommand(c *RemoteCommand)
}

// Broadcaster is one source of publications (HTTP is served by api/; Redis,
// Redis Streams and NATS live here).
type Broadcaster interface {
	// Start begins delivering to h; it returns once subscribed or on a fatal
	// configuration error. Connection loss is handled inside (reconnects).
	Start(ctx context.Context, h Handler) error
	Shutdown(ctx context.Context) error
	// IsFanout reports whether every node receives every message (redis,
	// nats) rather than one node per message (http, redisx).
	IsFanout() bool
}
