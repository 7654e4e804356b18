package natsstore

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// resetupEvery bounds how often a node tries to recreate lost resources.
const resetupEvery = time.Second

// do runs op and, when it failed because the stream or a bucket is gone
// (JetStream data lost, an embedded server restarted without a store),
// recreates them and runs op once more.
//
// Operations share the gate; recreating takes it alone, so no operation
// runs half against the old resources and epoch and half against the new.
func (b *Broker) do(ctx context.Context, op func(context.Context) error) error {
	err := b.gated(ctx, op)
	if err == nil || !isResourceLost(err) || !b.resetup(ctx) {
		return err
	}
	return b.gated(ctx, op)
}

func (b *Broker) gated(ctx context.Context, op func(context.Context) error) error {
	b.gate.RLock()
	defer b.gate.RUnlock()
	return op(ctx)
}

func isResourceLost(err error) bool {
	return errors.Is(err, jetstream.ErrStreamNotFound) || errors.Is(err, jetstream.ErrBucketNotFound) ||
		errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders)
}

// resetup recreates the resources, at most once per resetupEvery; it
// reports whether they are there now.
func (b *Broker) resetup(ctx context.Context) bool {
	b.resetupMu.Lock()
	defer b.resetupMu.Unlock()
	if time.Since(b.lastResetup) < resetupEvery {
		return false
	}
	b.lastResetup = time.Now()
	b.gate.Lock()
	err := b.setup(ctx)
	b.gate.Unlock()
	if err != nil {
		b.log.Warn("failed to recreate JetStream resources", "error", err)
		return false
	}
	b.log.Warn("recreated missing JetStream resources", "epoch", b.Epoch())
	return true
}

// refreshEpoch reads the shared epoch again: another node may have
// recreated the resources after a data loss this node did not see.
func (b *Broker) refreshEpoch(ctx context.Context) error {
	_, _, state, err := b.handles()
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	e, err := state.Get(ctx, epochKey)
	if err != nil {
		return err
	}
	if epoch := string(e.Value()); epoch != b.Epoch() {
		b.log.Warn("the shared epoch changed (JetStream data was lost)", "old", b.Epoch(), "new", epoch)
		b.offsets.clear()
		b.epoch.Store(&epoch)
	}
	return nil
}
