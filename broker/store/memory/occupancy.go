package memory

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/densecable/densecable/broker"
)

// Occupancy is broker.Occupancy for one node: the memory broker's, and the
// fallback when the configured broker keeps none.
type Occupancy struct {
	mu      sync.Mutex
	streams map[string]struct{}
}

var _ broker.Occupancy = (*Occupancy)(nil)

// NewOccupancy returns an empty occupancy table.
func NewOccupancy() *Occupancy { return &Occupancy{streams: make(map[string]struct{})} }

// OccupancyAdd implements broker.Occupancy.
func (o *Occupancy) OccupancyAdd(_ context.Context, stream string) (bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, ok := o.streams[stream]; ok {
		return false, nil
	}
	o.streams[stream] = struct{}{}
	return true, nil
}

// OccupancyRemove implements broker.Occupancy.
func (o *Occupancy) OccupancyRemove(_ context.Context, stream string) (bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, ok := o.streams[stream]; !ok {
		return false, nil
	}
	delete(o.streams, stream)
	return true, nil
}

// OccupiedStreams implements broker.Occupancy.
func (o *Occupancy) OccupiedStreams(_ context.Context, prefix string, limit int) ([]string, error) {
	o.mu.Lock()
	var out []string
	for s := range o.streams {
		if strings.HasPrefix(s, prefix) {
			out = append(out, s)
		}
	}
	o.mu.Unlock()
	slices.Sort(out)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// IsOccupied implements broker.Occupancy.
func (o *Occupancy) IsOccupied(_ context.Context, stream string) (bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	_, ok := o.streams[stream]
	return ok, nil
}

// OccupancyKeepAlive implements broker.Occupancy: one node has no other
// node to outlive.
func (o *Occupancy) OccupancyKeepAlive(context.Context) ([]string, error) { return nil, nil }
