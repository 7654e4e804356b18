package natsstore

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/densecable/densecable/broker/internal/backoff"
)

// consumerIdle lets the server drop a reading consumer whose deletion was
// lost.
const consumerIdle = 30 * time.Second

// readAttempts bounds the re-reads of a consumer that lags behind.
const readAttempts = 5

// readSubject reads the messages cfg selects (one subject, from a start)
// up to the stream sequence until, which the caller read from the stream
// leader. In a JetStream cluster the reading consumer may sit on a replica
// that has not applied the latest messages yet; a read that stops short is
// repeated.
func readSubject(ctx context.Context, history jetstream.Stream, cfg jetstream.ConsumerConfig, until uint64) ([]storedMsg, error) {
	for attempt := 1; ; attempt++ {
		msgs, err := readOnce(ctx, history, cfg)
		if err != nil {
			return nil, err
		}
		if n := len(msgs); n > 0 && msgs[n-1].seq >= until || attempt == readAttempts {
			return msgs, nil
		}
		if !backoff.Sleep(ctx, time.Duration(attempt)*10*time.Millisecond) {
			return nil, ctx.Err()
		}
	}
}

// readOnce reads through an ephemeral consumer kept in memory, then deletes
// it. A subject holds at most history_limit messages, so they are fetched
// at once.
func readOnce(ctx context.Context, history jetstream.Stream, cfg jetstream.ConsumerConfig) ([]storedMsg, error) {
	cfg.AckPolicy = jetstream.AckNonePolicy
	cfg.InactiveThreshold = consumerIdle
	cfg.MemoryStorage = true
	cfg.Replicas = 1
	cons, err := history.CreateConsumer(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("create reader: %w", err)
	}
	name := cons.CachedInfo().Name
	defer func() {
		// Deleting is housekeeping: do not make the caller wait for it.
		go func() {
			dctx, cancel := context.WithTimeout(context.Background(), opTimeout)
			defer cancel()
			_ = history.DeleteConsumer(dctx, name)
		}()
	}()
	pending := int(cons.CachedInfo().NumPending)
	msgs := make([]storedMsg, 0, pending)
	for len(msgs) < pending {
		batch, err := cons.FetchNoWait(pending - len(msgs))
		if err != nil {
			return nil, fmt.Errorf("fetch: %w", err)
		}
		before := len(msgs)
		for m := range batch.Messages() {
			md, err := m.Metadata()
			if err != nil {
				return nil, fmt.Errorf("message metadata: %w", err)
			}
			msgs = append(msgs, storedMsg{header: m.Headers(), data: m.Data(), time: md.Timestamp, seq: md.Sequence.Stream})
		}
		if err := batch.Error(); err != nil {
			return nil, fmt.Errorf("fetch: %w", err)
		}
		if len(msgs) == before {
			break // the rest expired meanwhile
		}
	}
	return msgs, nil
}
