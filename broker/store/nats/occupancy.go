package natsstore

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/densecable/densecable/broker"
)

var _ broker.Occupancy = (*Broker)(nil)

// occupancyDoc is the KV record "o.<stream token>": the nodes with
// subscribers to the stream. Every change is a compare-and-set, so one
// node sees the stream become occupied or vacant.
type occupancyDoc struct {
	Stream string   `json:"stream"`
	Nodes  []string `json:"nodes"`
}

const occupancyPrefix = "o."

func occupancyKey(stream string) string { return occupancyPrefix + token(stream) }

// OccupancyAdd implements broker.Occupancy.
func (b *Broker) OccupancyAdd(ctx context.Context, stream string) (bool, error) {
	return b.changeOccupancy(ctx, stream, true)
}

// OccupancyRemove implements broker.Occupancy.
func (b *Broker) OccupancyRemove(ctx context.Context, stream string) (bool, error) {
	return b.changeOccupancy(ctx, stream, false)
}

// changeOccupancy adds this node to (or removes it from) the stream's
// record; it reports whether the record went from empty to not (add) or
// the other way (remove).
func (b *Broker) changeOccupancy(ctx context.Context, stream string, add bool) (bool, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	var changed bool
	err := b.do(ctx, func(ctx context.Context) (err error) {
		changed, err = b.casKey(ctx, occupancyKey(stream), func(state jetstream.KeyValue, key string, e jetstream.KeyValueEntry) (bool, error) {
			doc := occupancyDoc{Stream: stream}
			if e != nil {
				_ = json.Unmarshal(e.Value(), &doc) // a damaged record counts as empty
			}
			has := slices.Contains(doc.Nodes, b.node)
			switch {
			case add && has, !add && !has:
				return false, nil
			case add:
				doc.Nodes = append(doc.Nodes, b.node)
			default:
				doc.Nodes = slices.DeleteFunc(doc.Nodes, func(n string) bool { return n == b.node })
			}
			var err error
			switch {
			case e == nil:
				_, err = state.Create(ctx, key, mustJSON(doc))
			case len(doc.Nodes) == 0:
				err = state.Delete(ctx, key, jetstream.LastRevision(e.Revision()))
			default:
				_, err = state.Update(ctx, key, mustJSON(doc), e.Revision())
			}
			transition := (add && len(doc.Nodes) == 1) || (!add && len(doc.Nodes) == 0)
			return err == nil && transition, err
		})
		return err
	})
	if err != nil {
		return false, fmt.Errorf("nats broker: occupancy of %q: %w", stream, err)
	}
	return changed, nil
}

// OccupiedStreams implements broker.Occupancy: the bucket's "o." keys,
// decoded (a hashed long name is read from its record).
func (b *Broker) OccupiedStreams(ctx context.Context, prefix string, limit int) ([]string, error) {
	_, _, state, err := b.handles()
	if err != nil {
		return nil, err
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	keys, err := occupancyKeys(ctx, state)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, key := range keys {
		name, err := b.occupiedName(ctx, state, key)
		if err != nil {
			return nil, err
		}
		if name != "" && strings.HasPrefix(name, prefix) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// occupancyKeys lists the occupancy records' keys.
func occupancyKeys(ctx context.Context, state jetstream.KeyValue) ([]string, error) {
	lister, err := state.ListKeysFiltered(ctx, occupancyPrefix+">")
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("nats broker: occupancy records: %w", err)
	}
	defer func() { _ = lister.Stop() }()
	var keys []string
	for k := range lister.Keys() {
		keys = append(keys, k)
	}
	return keys, nil
}

func (b *Broker) occupiedName(ctx context.Context, state jetstream.KeyValue, key string) (string, error) {
	tok := strings.TrimPrefix(key, occupancyPrefix)
	if strings.HasPrefix(tok, "b") {
		name, err := base64.RawURLEncoding.DecodeString(tok[1:])
		if err == nil {
			return string(name), nil
		}
	}
	e, err := getEntry(ctx, state, key)
	if err != nil || e == nil {
		return "", err
	}
	var doc occupancyDoc
	if json.Unmarshal(e.Value(), &doc) != nil || len(doc.Nodes) == 0 {
		return "", nil
	}
	return doc.Stream, nil
}

// IsOccupied implements broker.Occupancy.
func (b *Broker) IsOccupied(ctx context.Context, stream string) (bool, error) {
	_, _, state, err := b.handles()
	if err != nil {
		return false, err
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	e, err := getEntry(ctx, state, occupancyKey(stream))
	if err != nil {
		return false, fmt.Errorf("nats broker: occupancy of %q: %w", stream, err)
	}
	return e != nil, nil
}

// occupancyReaper remembers the live nodes of the last keep-alive, so that
// occupancy records are only read again when a node has gone.
type occupancyReaper struct {
	mu   sync.Mutex
	live map[string]bool // nil before the first keep-alive
}

// OccupancyKeepAlive implements broker.Occupancy. Liveness is the
// broker's node heartbeat (written by its heartbeat loop; a stopped
// node's key is removed after presence_ttl): when a node known at the
// last call has no heartbeat any more (and at the first call), the
// records are read and the nodes without a heartbeat are removed from
// them, by compare-and-set, so one node reports each vacated stream.
func (b *Broker) OccupancyKeepAlive(ctx context.Context) ([]string, error) {
	_, _, state, err := b.handles()
	if err != nil {
		return nil, err
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	entries, err := readEntries(ctx, state, allNodes, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("nats broker: node heartbeats: %w", err)
	}
	live := map[string]bool{b.node: true}
	for _, e := range entries {
		live[strings.TrimPrefix(e.Key(), nodeKeyPrefix)] = true
	}
	b.occ.mu.Lock()
	defer b.occ.mu.Unlock()
	gone := b.occ.live == nil
	for n := range b.occ.live {
		gone = gone || !live[n]
	}
	if !gone {
		b.occ.live = live
		return nil, nil
	}
	keys, err := occupancyKeys(ctx, state)
	if err != nil {
		return nil, err
	}
	var vacated []string
	for _, key := range keys {
		var stream string
		emptied, err := b.casKey(ctx, key, func(state jetstream.KeyValue, key string, e jetstream.KeyValueEntry) (bool, error) {
			if e == nil {
				return false, nil
			}
			var doc occupancyDoc
			_ = json.Unmarshal(e.Value(), &doc)
			stream = doc.Stream
			kept := slices.DeleteFunc(slices.Clone(doc.Nodes), func(n string) bool { return !live[n] })
			if len(kept) == len(doc.Nodes) {
				return false, nil
			}
			if len(kept) == 0 {
				return true, state.Delete(ctx, key, jetstream.LastRevision(e.Revision()))
			}
			doc.Nodes = kept
			_, err := state.Update(ctx, key, mustJSON(doc), e.Revision())
			return false, err
		})
		if err != nil {
			return vacated, fmt.Errorf("nats broker: occupancy of %q: %w", stream, err) // live stays: retried next time
		}
		if emptied {
			vacated = append(vacated, stream)
		}
	}
	b.occ.live = live
	return vacated, nil
}
