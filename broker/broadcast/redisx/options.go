// Package redisx is the `redisx` broadcast adapter: publications are entries
// of a Redis Stream read through a consumer group, so each one goes to a
// single node (which passes it through the broker and the inter-node
// pub/sub), and entries added while no node runs wait in Redis.
package redisx

import (
	"time"

	redisconn "github.com/densecable/densecable/broker/conn/redis"
)

// Defaults as in anycable-go.
const (
	DefaultStream    = "__anycable__"
	DefaultGroup     = "bx"
	DefaultReadBlock = 2000 * time.Millisecond
	DefaultBatchSize = 100
	// PayloadField is the entry field that holds the publication JSON.
	PayloadField = "payload"
)

// Options configure the broadcaster.
type Options struct {
	Redis redisconn.RedisOptions
	// Stream is the stream key (redisx_stream).
	Stream string
	// Group is the consumer group (redisx_group), created at `$` with
	// MKSTREAM when missing (at the last entry read when it went missing
	// while running: Redis restarted without its data).
	Group string
	// Consumer names this node in the group; use the node id. Empty picks
	// a random name.
	Consumer string
	// ReadBlock is XREADGROUP's BLOCK (redisx_read_block_milliseconds).
	ReadBlock time.Duration
	// BatchSize is XREADGROUP's and XAUTOCLAIM's COUNT.
	BatchSize int64
	// ClaimIdle is how long an entry stays pending with another (dead or
	// failing) consumer before this one claims it, and how often claiming
	// runs. Default: ReadBlock, as in anycable-go.
	ClaimIdle time.Duration
}

func (o Options) withDefaults() Options {
	if o.Stream == "" {
		o.Stream = DefaultStream
	}
	if o.Group == "" {
		o.Group = DefaultGroup
	}
	if o.ReadBlock <= 0 {
		o.ReadBlock = DefaultReadBlock
	}
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.ClaimIdle <= 0 {
		o.ClaimIdle = o.ReadBlock
	}
	return o
}
