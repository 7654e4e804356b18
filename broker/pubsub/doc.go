// Package pubsub carries publications and remote commands between the nodes
// of a cluster (--pubsub redis|nats), implementing broker.PubSub.
//
// A publication registered once by one node (stored by the broker, with its
// epoch and offset) travels as JSON {"stream","data","meta","epoch",
// "offset"} on a channel (Redis) or subject (NATS) named after its stream,
// as anycable-go does; a node listens on a stream's channel only while it
// has local subscribers to it, so only those nodes do work for it. Remote
// commands travel on one internal channel (__anycable_internal__) that every
// node listens to. Every message is read back with broker.Parse and handed
// to the Handler given to Start. A single node has no pub/sub: the
// publication path (fanout.Publisher) goes straight to the hub.
package pubsub

// DefaultChannel is the internal channel/subject for remote commands
// ([redis_pubsub] channel, [nats_pubsub] channel).
const DefaultChannel = "__anycable_internal__"
