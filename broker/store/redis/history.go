package redisstore

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/redis/rueidis"

	"github.com/densecable/densecable/broker"
)

// Idle stream metadata (the offset counter) outlives its entries tenfold,
// as the memory broker keeps idle streams: offsets go on after a pause.
const metaTTLFactor = 10

// Store gives a non-transient publication the stream's next offset and
// appends it to the stream's Redis Stream, in one script.
func (b *Broker) Store(ctx context.Context, p *broker.Publication) error {
	if p.Meta.Transient {
		return nil
	}
	ks := []string{b.keys.entries(p.Stream), b.keys.meta(p.Stream)}
	if b.globalEpoch {
		ks = append(ks, b.keys.epoch())
	}
	ttl := int64(b.opts.HistoryTTL) * 1000
	res := storeScript.exec(ctx, b.client, ks, []string{
		p.Data, p.Meta.BroadcastType, strconv.Itoa(b.opts.HistoryLimit),
		strconv.FormatInt(ttl, 10), strconv.FormatInt(ttl*metaTTLFactor, 10), broker.NewEpoch(),
	})
	arr, err := res.ToArray()
	if err != nil || len(arr) != 2 {
		return fmt.Errorf("redis broker: store to %q: %w", p.Stream, replyErr(err))
	}
	epoch, err := arr[0].ToString()
	if err != nil {
		return fmt.Errorf("redis broker: store to %q: epoch: %w", p.Stream, err)
	}
	offset, err := arr[1].AsInt64()
	if err != nil || offset <= 0 {
		return fmt.Errorf("redis broker: store to %q: offset: %w", p.Stream, replyErr(err))
	}
	b.setEpoch(epoch)
	p.Epoch, p.Offset = epoch, uint64(offset)
	return nil
}

// HistoryFrom returns the entries after offset; the rules are the memory
// broker's, with "retained" meaning the newest history_limit entries
// still in Redis.
func (b *Broker) HistoryFrom(ctx context.Context, stream, epoch string, offset uint64) ([]broker.Publication, error) {
	res := historyFromScript.exec(ctx, b.client, []string{b.keys.entries(stream), b.keys.meta(stream)},
		[]string{strconv.FormatUint(offset, 10), strconv.Itoa(b.opts.HistoryLimit)})
	arr, err := res.ToArray()
	if err != nil {
		return nil, fmt.Errorf("redis broker: history of %q: %w", stream, err)
	}
	if len(arr) == 0 {
		return nil, fmt.Errorf("%w: %q", broker.ErrStreamNotFound, stream)
	}
	if len(arr) != 3 {
		return nil, fmt.Errorf("redis broker: history of %q: %w", stream, replyErr(nil))
	}
	current, err := arr[0].ToString()
	if err != nil {
		return nil, fmt.Errorf("redis broker: history of %q: epoch: %w", stream, err)
	}
	if epoch != current {
		return nil, fmt.Errorf("%w: %q (current %q)", broker.ErrUnknownEpoch, epoch, current)
	}
	latestStr, err := arr[1].ToString()
	if err != nil {
		return nil, fmt.Errorf("redis broker: history of %q: offset: %w", stream, err)
	}
	latest, err := strconv.ParseUint(latestStr, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("redis broker: history of %q: offset %q: %w", stream, latestStr, err)
	}
	switch {
	case offset > latest:
		return nil, fmt.Errorf("%w: %d is beyond the latest %d of %q", broker.ErrOffsetOutOfRange, offset, latest, stream)
	case offset == latest:
		return nil, nil
	}
	entries, err := arr[2].AsXRange()
	if err != nil {
		return nil, fmt.Errorf("redis broker: history of %q: entries: %w", stream, err)
	}
	pubs, err := b.toPublications(stream, current, entries)
	if err != nil {
		return nil, err
	}
	// Newest first, and the entry at offset itself must be there.
	if uint64(len(pubs)) != latest-offset+1 || pubs[len(pubs)-1].Offset != offset {
		return nil, fmt.Errorf("%w: %d is no longer retained for %q", broker.ErrOffsetOutOfRange, offset, stream)
	}
	pubs = pubs[:len(pubs)-1]
	slices.Reverse(pubs)
	for i, p := range pubs {
		if p.Offset != offset+uint64(i)+1 {
			return nil, fmt.Errorf("%w: history of %q has a gap at %d", broker.ErrOffsetOutOfRange, stream, p.Offset)
		}
	}
	return pubs, nil
}

// HistorySince returns the newest history_limit entries stored at or after
// since (Unix seconds; the stream ids carry Redis's clock in ms).
func (b *Broker) HistorySince(ctx context.Context, stream string, since int64) ([]broker.Publication, error) {
	if b.opts.HistoryLimit <= 0 || since > math.MaxInt64/1000 {
		return nil, nil
	}
	first := "-"
	if since > 0 {
		first = strconv.FormatInt(since*1000, 10)
	}
	res := historySinceScript.exec(ctx, b.client, []string{b.keys.entries(stream), b.keys.meta(stream)},
		[]string{first, strconv.Itoa(b.opts.HistoryLimit)})
	arr, err := res.ToArray()
	if err != nil {
		return nil, fmt.Errorf("redis broker: history of %q: %w", stream, err)
	}
	if len(arr) != 2 {
		return nil, nil // unknown stream
	}
	epoch, err := arr[0].ToString()
	if err != nil {
		return nil, fmt.Errorf("redis broker: history of %q: epoch: %w", stream, err)
	}
	entries, err := arr[1].AsXRange()
	if err != nil {
		return nil, fmt.Errorf("redis broker: history of %q: entries: %w", stream, err)
	}
	pubs, err := b.toPublications(stream, epoch, entries)
	if err != nil {
		return nil, err
	}
	slices.Reverse(pubs)
	return pubs, nil
}

func (b *Broker) toPublications(stream, epoch string, entries []rueidis.XRangeEntry) ([]broker.Publication, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	pubs := make([]broker.Publication, len(entries))
	for i, e := range entries {
		offset, err := strconv.ParseUint(e.FieldValues["o"], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("redis broker: history of %q: entry %s has no offset", stream, e.ID)
		}
		pubs[i] = broker.Publication{
			Stream: stream,
			Data:   e.FieldValues["d"],
			Meta:   broker.Meta{BroadcastType: e.FieldValues["t"]},
			Epoch:  epoch,
			Offset: offset,
		}
	}
	return pubs, nil
}

// errBadReply stands for a reply of an unexpected shape.
var errBadReply = fmt.Errorf("unexpected reply from Redis")

func replyErr(err error) error {
	if err != nil {
		return err
	}
	return errBadReply
}
