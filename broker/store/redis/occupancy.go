package redisstore

import (
	"context"
	"fmt"

	"github.com/densecable/densecable/broker"
)

var (
	occupancyAddScript    = loadScript("occupancy_add.lua", false)
	occupancyRemoveScript = loadScript("occupancy_remove.lua", false)
)

var _ broker.Occupancy = (*Broker)(nil)

// Occupancy keys share the {o} hash tag: the data is small (one set per
// occupied stream), and one slot lets a script update a stream's node set
// and the index together, so that no interleaving of nodes loses an index
// entry.
func (k keys) occupancy(stream string) []string {
	return []string{k.prefix + "{o}:s:" + stream, k.prefix + "{o}:index"}
}

// OccupancyAdd implements broker.Occupancy.
func (b *Broker) OccupancyAdd(ctx context.Context, stream string) (bool, error) {
	n, err := occupancyAddScript.exec(ctx, b.client, b.keys.occupancy(stream), []string{b.node, stream}).AsInt64()
	if err != nil {
		return false, fmt.Errorf("redis broker: occupancy add %q: %w", stream, err)
	}
	return n == 1, nil
}

// OccupancyRemove implements broker.Occupancy.
func (b *Broker) OccupancyRemove(ctx context.Context, stream string) (bool, error) {
	n, err := occupancyRemoveScript.exec(ctx, b.client, b.keys.occupancy(stream), []string{b.node, stream}).AsInt64()
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
	cmd := b.client.B().Zrangebylex().Key(b.keys.occupancy("")[1]).Min(lo).Max(hi).Limit(0, int64(limit)).Build()
	out, err := b.client.Do(ctx, cmd).AsStrSlice()
	if err != nil {
		return nil, fmt.Errorf("redis broker: occupied streams: %w", err)
	}
	return out, nil
}

// IsOccupied implements broker.Occupancy.
func (b *Broker) IsOccupied(ctx context.Context, stream string) (bool, error) {
	n, err := b.client.Do(ctx, b.client.B().Exists().Key(b.keys.occupancy(stream)[0]).Build()).AsInt64()
	if err != nil {
		return false, fmt.Errorf("redis broker: occupancy of %q: %w", stream, err)
	}
	return n == 1, nil
}
