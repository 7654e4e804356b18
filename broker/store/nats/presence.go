package natsstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/densecable/densecable/broker"
)

var errEmptyPresenceID = errors.New("nats broker: presence id is empty")

// presenceDoc is the KV record of one presence id in one stream: the
// sessions present under it and the node holding each.
type presenceDoc struct {
	Stream string            `json:"stream"`
	ID     string            `json:"id"`
	Info   []byte            `json:"info,omitempty"`
	Sids   map[string]string `json:"sids"`
}

// PresenceAdd records sid as present in stream under id; the join event
// comes back when id was not present before (decided by a compare-and-set,
// so one node reports it).
func (b *Broker) PresenceAdd(ctx context.Context, stream, sid, id string, info []byte) (*broker.PresenceEvent, error) {
	if id == "" {
		return nil, errEmptyPresenceID
	}
	if cur, ok := b.presence.idOf(sid, stream); ok && cur != id {
		return nil, broker.ErrPresenceIDMismatch
	}
	if _, _, _, err := b.handles(); err != nil {
		return nil, err
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	var joined bool
	err := b.do(ctx, func(ctx context.Context) (err error) {
		joined, err = b.addToDoc(ctx, stream, id, sid, info)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("nats broker: presence add: %w", err)
	}
	b.presence.add(sid, stream, id, time.Now())
	if !joined {
		return nil, nil
	}
	return &broker.PresenceEvent{Type: "join", ID: id, Info: info}, nil
}

// PresenceRemove removes sid from stream; the leave event comes back when
// it was the last session with its id. Should the store be unreachable,
// the local record stays and the expiry retries the removal later.
func (b *Broker) PresenceRemove(ctx context.Context, stream, sid string) (*broker.PresenceEvent, error) {
	id, ok := b.presence.idOf(sid, stream)
	if !ok {
		return nil, nil
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	var left bool
	err := b.do(ctx, func(ctx context.Context) (err error) {
		left, err = b.removeFromDoc(ctx, stream, id, sid, b.node)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("nats broker: presence remove: %w", err)
	}
	b.presence.remove(sid, stream)
	if !left {
		return nil, nil
	}
	return &broker.PresenceEvent{Type: "leave", ID: id}, nil
}

// TouchPresence keeps sid's presence alive; it costs no round trip.
func (b *Broker) TouchPresence(_ context.Context, sid string) error {
	b.presence.touch(sid, time.Now())
	return nil
}

// PresenceInfo returns the ids present in stream, sorted, with their info.
func (b *Broker) PresenceInfo(ctx context.Context, stream string) (*broker.PresenceInfo, error) {
	if _, _, _, err := b.handles(); err != nil {
		return nil, err
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	var docs []presenceDoc
	err := b.do(ctx, func(ctx context.Context) (err error) {
		_, _, state, err := b.handles()
		if err != nil {
			return err
		}
		docs, err = b.readDocs(ctx, state, presenceFilter(stream))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("nats broker: presence info: %w", err)
	}
	info := &broker.PresenceInfo{}
	for _, d := range docs {
		if len(d.Sids) > 0 && d.Stream == stream {
			info.Records = append(info.Records, broker.PresenceRecord{ID: d.ID, Info: d.Info})
		}
	}
	slices.SortFunc(info.Records, func(a, b broker.PresenceRecord) int { return strings.Compare(a.ID, b.ID) })
	info.Total = len(info.Records)
	return info, nil
}

// addToDoc adds sid (held by this node) to the (stream, id) record and
// reports whether the id was not present before.
func (b *Broker) addToDoc(ctx context.Context, stream, id, sid string, info []byte) (bool, error) {
	return b.casDoc(ctx, stream, id, func(state jetstream.KeyValue, key string, e jetstream.KeyValueEntry) (bool, error) {
		if e == nil {
			doc := presenceDoc{Stream: stream, ID: id, Info: info, Sids: map[string]string{sid: b.node}}
			_, err := state.Create(ctx, key, mustJSON(doc)) // ErrKeyExists: someone else joined first
			return err == nil, err
		}
		doc := b.decodeDoc(e)
		if doc.Sids[sid] == b.node {
			return false, nil
		}
		joined := len(doc.Sids) == 0
		doc.Stream, doc.ID = stream, id
		doc.Sids[sid] = b.node
		if joined || len(doc.Info) == 0 {
			doc.Info = info
		}
		_, err := state.Update(ctx, key, mustJSON(doc), e.Revision())
		return joined && err == nil, err
	})
}

// removeFromDoc removes sid from the (stream, id) record if node still
// holds it, and reports whether that emptied the record (a leave). The
// compare-and-set makes one caller, across nodes, see the leave.
func (b *Broker) removeFromDoc(ctx context.Context, stream, id, sid, node string) (bool, error) {
	return b.casDoc(ctx, stream, id, func(state jetstream.KeyValue, key string, e jetstream.KeyValueEntry) (bool, error) {
		if e == nil {
			return false, nil
		}
		doc := b.decodeDoc(e)
		if holder, ok := doc.Sids[sid]; !ok || holder != node {
			return false, nil
		}
		delete(doc.Sids, sid)
		var err error
		if len(doc.Sids) == 0 {
			err = state.Delete(ctx, key, jetstream.LastRevision(e.Revision()))
		} else {
			_, err = state.Update(ctx, key, mustJSON(doc), e.Revision())
		}
		return len(doc.Sids) == 0 && err == nil, err
	})
}

// casDoc reads the (stream, id) record (nil when missing) and hands it to
// change, which writes it back conditionally; when another writer got in
// between (a compare-and-set conflict) it starts over, casAttempts times at
// most.
func (b *Broker) casDoc(ctx context.Context, stream, id string,
	change func(state jetstream.KeyValue, key string, e jetstream.KeyValueEntry) (bool, error)) (bool, error) {
	return b.casKey(ctx, presenceKey(stream, id), change)
}

// casKey is casDoc for any key of the state bucket.
func (b *Broker) casKey(ctx context.Context, key string,
	change func(state jetstream.KeyValue, key string, e jetstream.KeyValueEntry) (bool, error)) (bool, error) {
	_, _, state, err := b.handles()
	if err != nil {
		return false, err
	}
	for range casAttempts {
		e, err := getEntry(ctx, state, key)
		if err != nil {
			return false, err
		}
		ok, err := change(state, key, e)
		if isCASConflict(err) {
			continue
		}
		return ok, err
	}
	return false, errors.New("too many concurrent changes of " + key)
}

func isCASConflict(err error) bool {
	return err != nil && (errors.Is(err, jetstream.ErrKeyRevisionMismatch) || isWrongLastSeq(err) ||
		errors.Is(err, jetstream.ErrKeyExists))
}

// decodeDoc reads a record; a damaged one counts as empty (it is then
// overwritten or deleted).
func (b *Broker) decodeDoc(e jetstream.KeyValueEntry) presenceDoc {
	var doc presenceDoc
	if err := json.Unmarshal(e.Value(), &doc); err != nil {
		b.log.Warn("ignoring a damaged presence record", "key", e.Key(), "error", err)
		doc = presenceDoc{}
	}
	if doc.Sids == nil {
		doc.Sids = make(map[string]string)
	}
	return doc
}

// readDocs returns the current presence records matching filter.
func (b *Broker) readDocs(ctx context.Context, state jetstream.KeyValue, filter string) ([]presenceDoc, error) {
	entries, err := readEntries(ctx, state, filter, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, err
	}
	docs := make([]presenceDoc, 0, len(entries))
	for _, e := range entries {
		docs = append(docs, b.decodeDoc(e))
	}
	return docs, nil
}

// readEntries returns the latest entries of the keys matching filter.
func readEntries(ctx context.Context, kv jetstream.KeyValue, filter string, opts ...jetstream.WatchOpt) ([]jetstream.KeyValueEntry, error) {
	w, err := kv.Watch(ctx, filter, opts...)
	if err != nil {
		return nil, err
	}
	defer func() {
		_ = w.Stop()
		// The watcher blocks delivering to a full channel: drain it so its
		// goroutine can finish after an early return.
		go func() {
			for range w.Updates() {
			}
		}()
	}()
	var out []jetstream.KeyValueEntry
	for {
		select {
		case e, ok := <-w.Updates():
			if !ok {
				return nil, errors.New("watcher closed")
			}
			if e == nil { // all current values delivered
				return out, nil
			}
			out = append(out, e)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only strings, bytes and maps of strings: cannot fail
	}
	return b
}
