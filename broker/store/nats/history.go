package natsstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/broker/internal/backoff"
)

// Headers of a history message; its body is the publication's data.
const (
	hdrOffset  = "Dc-Offset"
	hdrEpoch   = "Dc-Epoch" // the epoch the offset belongs to
	hdrPrev    = "Dc-Prev"  // stream sequence of the subject's previous message
	hdrExclude = "Dc-Exclude-Socket"
	hdrType    = "Dc-Broadcast-Type"
)

const (
	// casAttempts bounds the retries when other nodes publish to the same
	// stream at the same moment.
	casAttempts = 64
	// walkBackMax is the largest history request served by following the
	// messages' Dc-Prev links back from the last one; larger ones read the
	// subject through a short-lived consumer.
	walkBackMax = 4
)

// Store appends a non-transient publication to its stream's history and
// fills its epoch and offset.
func (b *Broker) Store(ctx context.Context, p *broker.Publication) error {
	if p.Meta.Transient {
		return nil
	}
	if _, _, _, err := b.handles(); err != nil {
		return err
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	if err := b.do(ctx, func(ctx context.Context) error { return b.store(ctx, p) }); err != nil {
		return fmt.Errorf("nats broker: store %q: %w", p.Stream, err)
	}
	return nil
}

func (b *Broker) store(ctx context.Context, p *broker.Publication) error {
	history, _, _, err := b.handles()
	if err != nil {
		return err
	}
	subject := b.names.historySubject(p.Stream)
	// One publication per stream at a time on this node: local callers
	// never race each other, only other nodes.
	mu := b.storeLocks.of(p.Stream)
	mu.Lock()
	defer mu.Unlock()
	refreshed := false
	for attempt := range casAttempts {
		if attempt >= 2 {
			// Another node is publishing to this stream too: let it go.
			if !backoff.Sleep(ctx, time.Duration(rand.IntN(attempt))*time.Millisecond) {
				return ctx.Err()
			}
		}
		epoch := b.Epoch()
		last, ok := b.offsets.get(p.Stream)
		if !ok {
			if last, err = lastOffset(ctx, history, subject); err != nil {
				return err
			}
			if last.epoch != "" && last.epoch != epoch && !refreshed {
				// Written under another epoch: this node may have missed a
				// recreation by another node.
				refreshed = true
				if err := b.refreshEpoch(ctx); err != nil {
					return err
				}
				continue
			}
		}
		next := last.offset + 1
		msg := &nats.Msg{Subject: subject, Data: []byte(p.Data), Header: nats.Header{}}
		msg.Header.Set(hdrOffset, strconv.FormatUint(next, 10))
		msg.Header.Set(hdrEpoch, epoch)
		msg.Header.Set(hdrPrev, strconv.FormatUint(last.seq, 10))
		if p.Meta.ExcludeSocket != "" {
			msg.Header.Set(hdrExclude, p.Meta.ExcludeSocket)
		}
		if p.Meta.BroadcastType != "" {
			msg.Header.Set(hdrType, p.Meta.BroadcastType)
		}
		// The publish succeeds only if the subject's last message is still
		// the one the offset was computed from.
		ack, err := b.js.PublishMsg(ctx, msg, jetstream.WithExpectLastSequencePerSubject(last.seq))
		if err != nil {
			if isWrongLastSeq(err) {
				b.offsets.forget(p.Stream)
				continue
			}
			return err
		}
		b.offsets.put(p.Stream, lastMsg{offset: next, seq: ack.Sequence, epoch: epoch})
		p.Epoch, p.Offset = epoch, next
		return nil
	}
	return errors.New("too many concurrent publications to the stream")
}

func isWrongLastSeq(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// lastOffset reads the subject's last message: its offset and sequence, or
// zeros for a subject without messages.
func lastOffset(ctx context.Context, history jetstream.Stream, subject string) (lastMsg, error) {
	raw, err := history.GetLastMsgForSubject(ctx, subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return lastMsg{}, nil
	}
	if err != nil {
		return lastMsg{}, err
	}
	off, err := headerUint(raw.Header, hdrOffset)
	if err != nil {
		return lastMsg{}, err
	}
	return lastMsg{offset: off, seq: raw.Sequence, epoch: raw.Header.Get(hdrEpoch)}, nil
}

func headerUint(h nats.Header, key string) (uint64, error) {
	v, err := strconv.ParseUint(h.Get(key), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("history message without a valid %s header: %w", key, err)
	}
	return v, nil
}

// HistoryFrom returns the stream's publications after offset.
func (b *Broker) HistoryFrom(ctx context.Context, stream, epoch string, offset uint64) ([]broker.Publication, error) {
	if _, _, _, err := b.handles(); err != nil {
		return nil, err
	}
	if epoch != b.Epoch() {
		return nil, broker.ErrUnknownEpoch
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	var pubs []broker.Publication
	err := b.do(ctx, func(ctx context.Context) (err error) {
		pubs, err = b.historyFrom(ctx, stream, epoch, offset)
		return err
	})
	return pubs, err
}

func (b *Broker) historyFrom(ctx context.Context, stream, epoch string, offset uint64) ([]broker.Publication, error) {
	history, _, _, err := b.handles()
	if err != nil {
		return nil, err
	}
	subject := b.names.historySubject(stream)
	last, err := history.GetLastMsgForSubject(ctx, subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, broker.ErrStreamNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("nats broker: history of %q: %w", stream, err)
	}
	latest, err := headerUint(last.Header, hdrOffset)
	if err != nil {
		return nil, fmt.Errorf("nats broker: history of %q: %w", stream, err)
	}
	if last.Header.Get(hdrEpoch) != epoch {
		return nil, broker.ErrUnknownEpoch // written under another epoch
	}
	switch {
	case offset > latest:
		return nil, broker.ErrOffsetOutOfRange
	case offset == latest:
		return nil, nil // nothing new: fine even if the entries expired
	case offset == 0 || b.opts.HistoryLimit == 0:
		// The client's own offset must still be in the history (anycable-go's
		// rule), and no offset is 0.
		return nil, broker.ErrOffsetOutOfRange
	case latest-offset <= walkBackMax:
		return b.walkBack(ctx, history, stream, last, offset, latest)
	}
	msgs, err := readSubject(ctx, history, jetstream.ConsumerConfig{FilterSubject: subject, DeliverPolicy: jetstream.DeliverAllPolicy}, last.Sequence)
	if err != nil {
		return nil, fmt.Errorf("nats broker: history of %q: %w", stream, err)
	}
	pubs := make([]broker.Publication, 0, len(msgs))
	low := uint64(0) // lowest retained offset
	for _, m := range msgs {
		if !b.fresh(m.time) {
			continue
		}
		p, err := b.publication(stream, m)
		if err != nil {
			return nil, err
		}
		if low == 0 {
			low = p.Offset
		}
		if p.Offset > offset {
			pubs = append(pubs, p)
		}
	}
	if low == 0 || offset < low {
		return nil, broker.ErrOffsetOutOfRange
	}
	return pubs, nil
}

// walkBack follows the Dc-Prev links from last (offset latest) down to the
// message at offset, which must still be there and fresh, and returns the
// ones after it, oldest first.
func (b *Broker) walkBack(ctx context.Context, history jetstream.Stream, stream string, last *jetstream.RawStreamMsg, offset, latest uint64) ([]broker.Publication, error) {
	pubs := make([]broker.Publication, latest-offset)
	raw := last
	for i := len(pubs); ; i-- {
		m := storedMsg{header: raw.Header, data: raw.Data, time: raw.Time}
		if !b.fresh(m.time) {
			return nil, broker.ErrOffsetOutOfRange // expired by history_ttl
		}
		if i == 0 {
			return pubs, nil // the client's own offset is retained
		}
		p, err := b.publication(stream, m)
		if err != nil {
			return nil, err
		}
		pubs[i-1] = p
		prev, err := headerUint(raw.Header, hdrPrev)
		if err != nil {
			return nil, err
		}
		if prev == 0 {
			return nil, broker.ErrOffsetOutOfRange
		}
		raw, err = history.GetMsg(ctx, prev)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return nil, broker.ErrOffsetOutOfRange // trimmed by history_limit
		}
		if err != nil {
			return nil, fmt.Errorf("nats broker: history of %q: %w", stream, err)
		}
	}
}

// HistorySince returns the stream's publications stored at or after the
// Unix time since (seconds) and within history_ttl.
func (b *Broker) HistorySince(ctx context.Context, stream string, since int64) ([]broker.Publication, error) {
	if _, _, _, err := b.handles(); err != nil {
		return nil, err
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	if b.opts.HistoryLimit == 0 {
		return nil, nil
	}
	start := time.Unix(since, 0)
	if floor := time.Now().Add(-b.historyTTL); start.Before(floor) {
		start = floor
	}
	var pubs []broker.Publication
	err := b.do(ctx, func(ctx context.Context) error {
		history, _, _, err := b.handles()
		if err != nil {
			return err
		}
		subject := b.names.historySubject(stream)
		last, err := history.GetLastMsgForSubject(ctx, subject)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			pubs = nil // unknown stream
			return nil
		}
		if err != nil {
			return fmt.Errorf("nats broker: history of %q: %w", stream, err)
		}
		if last.Time.Before(start) {
			pubs = nil // nothing since
			return nil
		}
		msgs, err := readSubject(ctx, history, jetstream.ConsumerConfig{FilterSubject: subject,
			DeliverPolicy: jetstream.DeliverByStartTimePolicy, OptStartTime: &start}, last.Sequence)
		if err != nil {
			return fmt.Errorf("nats broker: history of %q: %w", stream, err)
		}
		pubs = make([]broker.Publication, 0, len(msgs))
		for _, m := range msgs {
			p, err := b.publication(stream, m)
			if err != nil {
				return err
			}
			if m.time.Unix() >= since && b.fresh(m.time) {
				pubs = append(pubs, p)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return pubs, nil
}

// fresh reports whether a message stored at t is within history_ttl.
func (b *Broker) fresh(t time.Time) bool { return time.Since(t) <= b.historyTTL }

type storedMsg struct {
	header nats.Header
	data   []byte
	time   time.Time
	seq    uint64 // stream sequence
}

func (b *Broker) publication(stream string, m storedMsg) (broker.Publication, error) {
	off, err := headerUint(m.header, hdrOffset)
	if err != nil {
		return broker.Publication{}, err
	}
	return broker.Publication{
		Stream: stream,
		Data:   string(m.data),
		Meta:   broker.Meta{ExcludeSocket: m.header.Get(hdrExclude), BroadcastType: m.header.Get(hdrType)},
		Epoch:  m.header.Get(hdrEpoch),
		Offset: off,
	}, nil
}
