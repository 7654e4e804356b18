package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/rueidis"
)

// CommitSession stores snapshot for sessions_ttl (nothing with 0).
func (b *Broker) CommitSession(ctx context.Context, sid string, snapshot []byte) error {
	if b.opts.SessionsTTL <= 0 {
		return nil
	}
	cmd := b.client.B().Set().Key(b.keys.session(sid)).Value(rueidis.BinaryString(snapshot)).
		Ex(time.Duration(b.opts.SessionsTTL) * time.Second).Build()
	if err := b.client.Do(ctx, cmd).Error(); err != nil {
		return fmt.Errorf("redis broker: commit session: %w", err)
	}
	return nil
}

// RestoreSession returns the snapshot under sid, or nil.
func (b *Broker) RestoreSession(ctx context.Context, sid string) ([]byte, error) {
	if b.opts.SessionsTTL <= 0 {
		return nil, nil
	}
	// ToString, not AsBytes: that would alias an immutable string, and
	// callers own the slice they get.
	data, err := b.client.Do(ctx, b.client.B().Get().Key(b.keys.session(sid)).Build()).ToString()
	if rueidis.IsRedisNil(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("redis broker: restore session: %w", err)
	}
	return []byte(data), nil
}

// TouchSession moves the snapshot's expiry to sessions_ttl from now.
func (b *Broker) TouchSession(ctx context.Context, sid string) error {
	if b.opts.SessionsTTL <= 0 {
		return nil
	}
	cmd := b.client.B().Expire().Key(b.keys.session(sid)).Seconds(int64(b.opts.SessionsTTL)).Build()
	if err := b.client.Do(ctx, cmd).Error(); err != nil {
		return fmt.Errorf("redis broker: touch session: %w", err)
	}
	return nil
}
