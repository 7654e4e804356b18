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
	if b.opts.SessionsTTL <= 0 {
		return nil // the session cache is off
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	err := b.do(ctx, func(ctx context.Context) error {
		_, sessions, _, err := b.handles()
		if err != nil {
			return err
		}
		_, err = sessions.Put(ctx, token(sid), snapshot)
		return err
	})
	if err != nil {
		return fmt.Errorf("nats broker: commit session: %w", err)
	}
	return nil
}

// RestoreSession returns the snapshot stored under sid, or nil.
func (b *Broker) RestoreSession(ctx context.Context, sid string) ([]byte, error) {
	if b.opts.SessionsTTL <= 0 {
		return nil, nil
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	var snapshot []byte
	err := b.do(ctx, func(ctx context.Context) error {
		_, sessions, _, err := b.handles()
		if err != nil {
			return err
		}
		e, err := sessions.Get(ctx, token(sid))
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		snapshot = e.Value()
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("nats broker: restore session: %w", err)
	}
	return snapshot, nil
}

// TouchSession writes the snapshot again so its lifetime starts over (KV
// entries have no separate expiry to extend). A snapshot written by someone
// else meanwhile is fresh already; a missing one stays missing.
func (b *Broker) TouchSession(ctx context.Context, sid string) error {
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
		key := token(sid)
		e, err := sessions.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		_, err = sessions.Update(ctx, key, e.Value(), e.Revision())
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || isWrongLastSeq(err) {
			return nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("nats broker: touch session: %w", err)
	}
	return nil
}
