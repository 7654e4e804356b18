package redisstore

import (
	"context"
	"fmt"
	"strconv"

	"github.com/redis/rueidis"

	"github.com/densecable/densecable/broker"
)

var (
	occupancyAddScript       = loadScript("occupancy_add.lua", false)
	occupancyRemoveScript    = loadScript("occupancy_remove.lua", false)
	occupancyKeepAliveScript = loadScript("occupancy_keepalive.lua", false)
)

// deadPerKeepAlive bounds the stopped nodes one keep-alive clears.
const deadPerKeepAlive = 4

var _ broker.Occupancy = (*Broker)(nil)

// Occupancy keys share the {o} hash tag: the data is small (a set per
// occupied stream and per node), and one slot lets a script update a
// stream's node set, the node's stream set and the index together, so
// that no interleaving of nodes loses an index entry, and lets the
// keep-alive clear a stopped node's streams in one step.
//
//	<prefix>{o}:s:<stream>  nodes with subscribers to the stream (set)
//	<prefix>{o}:n:<node>    streams the node has subscribers to (set)
//	<prefix>{o}:index       occupied streams (zset, score 0, lex order)
//	<prefix>{o}:alive       nodes by liveness deadline in ms (zset)
func (k keys) occupancy(stream, node string) []string {
	base := k.prefix + "{o}:"
	return []string{base + "s:" + stream, base + "index", base + "n:" + node, base + "alive"}
}

// OccupancyAdd implements broker.Occupancy.
func (b *Broker) OccupancyAdd(ctx context.Context, stream string) (bool, error) {
	n, err := occupancyAddScript.exec(ctx, b.client, b.keys.occupancy(stream, b.node),
		[]string{b.node, stream, strconv.FormatInt(b.occTTL.Milliseconds(), 10)}).AsInt64()
	if err != nil {
		return false, fmt.Errorf("redis broker: occupancy add %q: %w", stream, err)
	}
	return n == 1, nil
}

// OccupancyRemove implements broker.Occupancy.
func (b *Broker) OccupancyRemove(ctx context.Context, stream string) (bool, error) {
	n, err := occupancyRemoveScript.exec(ctx, b.client, b.keys.occupancy(stream, b.node), []string{b.node, stream}).AsInt64()
	if err != nil {
		return false, fmt.Errorf("redis broker: occupancy remove %q: %w", stream, err)
	}
	return n == 1, nil
}

// OccupiedStreams implements broker.Occupancy: a lex range of the index.
func (b *Broker) OccupiedStreams(ctx context.Context, prefix string, limit int) ([]string, error) {
	lo, hi := "-", "+"
	if prefix != "" {
		// Every name starting with prefix sorts in [prefix, prefix+"\xff").
		lo, hi = "["+prefix, "("+prefix+"\xff"
	}
	cmd := b.client.B().Zrangebylex().Key(b.keys.occupancy("", b.node)[1]).Min(lo).Max(hi).Limit(0, int64(limit)).Build()
	out, err := b.client.Do(ctx, cmd).AsStrSlice()
	if err != nil {
		return nil, fmt.Errorf("redis broker: occupied streams: %w", err)
	}
	return out, nil
}

// IsOccupied implements broker.Occupancy.
func (b *Broker) IsOccupied(ctx context.Context, stream string) (bool, error) {
	n, err := b.client.Do(ctx, b.client.B().Exists().Key(b.keys.occupancy(stream, b.node)[0]).Build()).AsInt64()
	if err != nil {
		return false, fmt.Errorf("redis broker: occupancy of %q: %w", stream, err)
	}
	return n == 1, nil
}

// OccupancyKeepAlive implements broker.Occupancy: this node's deadline
// moves on, and nodes past theirs lose their streams.
func (b *Broker) OccupancyKeepAlive(ctx context.Context) ([]string, error) {
	k := b.keys.occupancy("", b.node)
	vacated, err := occupancyKeepAliveScript.exec(ctx, b.client, []string{k[3], k[1]}, []string{
		b.node, strconv.FormatInt(b.occTTL.Milliseconds(), 10), b.keys.prefix + "{o}:", strconv.Itoa(deadPerKeepAlive),
	}).AsStrSlice()
	if err != nil && !rueidis.IsRedisNil(err) {
		return nil, fmt.Errorf("redis broker: occupancy keep-alive: %w", err)
	}
	return vacated, nil
}
