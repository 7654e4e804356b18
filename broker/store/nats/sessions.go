package natsstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// CommitSession stores the snapshot under sid; the bucket drops it after
// sessions_ttl without a write or touch.
func (b *Broker) CommitSession(ctx context.Context, sid string, snapshot []byte) error {
	return b.sessionOp(ctx, "commit", func(ctx context.Context, sessions jetstream.KeyValue) error {
		_, err := sessions.Put(ctx, token(sid), snapshot)
		return err
	})
}

// RestoreSession returns the snapshot stored under sid, or nil.
func (b *Broker) RestoreSession(ctx context.Context, sid string) ([]byte, error) {
	var snapshot []byte
	err := b.sessionOp(ctx, "restore", func(ctx context.Context, sessions jetstream.KeyValue) error {
		e, err := getEntry(ctx, sessions, token(sid))
		if e != nil {
			snapshot = e.Value()
		}
		return err
	})
	return snapshot, err
}

// TouchSession writes the snapshot again so its lifetime starts over (KV
// entries have no separate expiry to extend). A snapshot written by someone
// else meanwhile is fresh already; a missing one stays missing.
func (b *Broker) TouchSession(ctx context.Context, sid string) error {
	return b.sessionOp(ctx, "touch", func(ctx context.Context, sessions jetstream.KeyValue) error {
		key := token(sid)
		e, err := getEntry(ctx, sessions, key)
		if e == nil {
			return err
		}
		_, err = sessions.Update(ctx, key, e.Value(), e.Revision())
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || isWrongLastSeq(err) {
			return nil
		}
		return err
	})
}

// sessionOp runs op on the sessions bucket within the operation timeout,
// retried as every JetStream call is (do); nothing when the session cache is
// off (sessions_ttl 0).
func (b *Broker) sessionOp(ctx context.Context, what string, op func(context.Context, jetstream.KeyValue) error) error {
	if b.opts.SessionsTTL <= 0 {
		return nil
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	err := b.do(ctx, func(ctx context.Context) error {
		_, sessions, _, err := b.handles()
		if err != nil {
			return err
		}
		return op(ctx, sessions)
	})
	if err != nil {
		return fmt.Errorf("nats broker: %s session: %w", what, err)
	}
	return nil
}

// getSession reads key; a missing key is (nil, nil).
func getEntry(ctx context.Context, kv jetstream.KeyValue, key string) (jetstream.KeyValueEntry, error) {
	e, err := kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return e, nil
}
