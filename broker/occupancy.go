package broker

import "context"

// Occupancy is an optional broker capability, found by type assertion:
// which streams have subscribers on any node sharing the broker. Each node
// reports its own transitions (its first local subscriber to a stream, its
// last one gone); the store decides the cluster's, atomically, so that one
// node (the one making the change) sees each cluster transition. Pusher's
// channel_occupied / channel_vacated webhooks and GET /channels use it.
type Occupancy interface {
	// OccupancyAdd records that this node has subscribers to stream; it
	// reports true when no node had any before (the stream became occupied).
	OccupancyAdd(ctx context.Context, stream string) (bool, error)
	// OccupancyRemove records that this node has none left; it reports
	// true when this node was the last one (the stream became vacant).
	OccupancyRemove(ctx context.Context, stream string) (bool, error)
	// OccupiedStreams lists occupied streams whose names start with
	// prefix, sorted, at most limit of them.
	OccupiedStreams(ctx context.Context, prefix string, limit int) ([]string, error)
	// IsOccupied reports whether any node has subscribers to stream.
	IsOccupied(ctx context.Context, stream string) (bool, error)
	// OccupancyKeepAlive tells the store this node is alive (callers do
	// it every few seconds) and clears what nodes that stopped without
	// leaving (a crash) still hold; it returns the streams that became
	// vacant by it, for the caller to report.
	OccupancyKeepAlive(ctx context.Context) ([]string, error)
}
