package memory

import (
	"context"
	"fmt"
	"sync"

	"github.com/densecable/densecable/broker"
)

// stream is one stream's history.
type stream struct {
	entries ring
	offset  uint64 // the latest offset given out
	lastAdd int64  // Unix seconds
}

type streamShard struct {
	mu sync.RWMutex
	m  map[string]*stream
	peakTracker
}

// Store gives a non-transient publication the next offset of its stream
// and keeps it in the history.
func (b *Broker) Store(_ context.Context, p *broker.Publication) error {
	if p.Meta.Transient {
		return nil
	}
	now := b.now().Unix()
	sh := &b.streams[shardOf(p.Stream)]
	sh.mu.Lock()
	s := sh.m[p.Stream]
	if s == nil {
		s = &stream{}
		sh.m[p.Stream] = s
		sh.grew(len(sh.m))
	}
	s.offset++
	s.lastAdd = now
	s.entries.push(entry{offset: s.offset, ts: now, data: p.Data, btype: p.Meta.BroadcastType}, b.opts.HistoryLimit)
	offset := s.offset
	sh.mu.Unlock()

	p.Epoch, p.Offset = b.epoch, offset
	return nil
}

// HistoryFrom returns the entries after offset. It fails when the epoch is
// not this process's, the stream is unknown (or was deleted), offset is
// beyond the latest, or the entry at offset is no longer retained; an
// offset equal to the latest gives nothing and no error.
func (b *Broker) HistoryFrom(_ context.Context, name, epoch string, offset uint64) ([]broker.Publication, error) {
	if epoch != b.epoch {
		return nil, fmt.Errorf("%w: %q (current %q)", broker.ErrUnknownEpoch, epoch, b.epoch)
	}
	sh := &b.streams[shardOf(name)]
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	s := sh.m[name]
	if s == nil {
		return nil, fmt.Errorf("%w: %q", broker.ErrStreamNotFound, name)
	}
	if offset > s.offset {
		return nil, fmt.Errorf("%w: %d is beyond the latest %d of %q", broker.ErrOffsetOutOfRange, offset, s.offset, name)
	}
	if offset == s.offset {
		return nil, nil
	}
	if s.entries.len() == 0 || offset < s.entries.at(0).offset {
		return nil, fmt.Errorf("%w: %d is no longer retained for %q", broker.ErrOffsetOutOfRange, offset, name)
	}
	first := int(offset - s.entries.at(0).offset + 1)
	out := make([]broker.Publication, 0, s.entries.len()-first)
	for i := first; i < s.entries.len(); i++ {
		out = append(out, b.publication(name, s.entries.at(i)))
	}
	return out, nil
}

// HistorySince returns the retained entries stored at or after since (Unix
// seconds, compared with whole-second timestamps).
func (b *Broker) HistorySince(_ context.Context, name string, since int64) ([]broker.Publication, error) {
	sh := &b.streams[shardOf(name)]
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	s := sh.m[name]
	if s == nil {
		return nil, nil
	}
	var out []broker.Publication
	for i := 0; i < s.entries.len(); i++ {
		if e := s.entries.at(i); e.ts >= since {
			out = append(out, b.publication(name, e))
		}
	}
	return out, nil
}

func (b *Broker) publication(name string, e *entry) broker.Publication {
	return broker.Publication{
		Stream: name,
		Data:   e.data,
		Meta:   broker.Meta{BroadcastType: e.btype},
		Epoch:  b.epoch,
		Offset: e.offset,
	}
}

// sweepHistory trims entries older than history_ttl and deletes streams
// without adds for 10×history_ttl (their offsets then restart at 1).
func (b *Broker) sweepHistory(now int64) {
	ttl := int64(b.opts.HistoryTTL)
	for i := range b.streams {
		sh := &b.streams[i]
		sh.mu.Lock()
		for name, s := range sh.m {
			if now-s.lastAdd > 10*ttl {
				delete(sh.m, name)
				continue
			}
			k := 0
			for k < s.entries.len() && now-s.entries.at(k).ts > ttl {
				k++
			}
			s.entries.dropOldest(k)
		}
		if sh.shouldShrink(len(sh.m)) {
			sh.m = shrunk(sh.m, &sh.peakTracker)
		}
		sh.mu.Unlock()
	}
}
