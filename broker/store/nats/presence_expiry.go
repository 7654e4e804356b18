package natsstore

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/densecable/densecable/broker"
)

// compactEvery and markerAge pace the removal of the delete markers left in
// the state bucket by leaves and reaped nodes (the bucket has no TTL, since
// live presence must not expire by age).
const (
	compactEvery = 10 * time.Minute
	markerAge    = 30 * time.Minute
)

// heartbeatEvery is how often a node tells the others it is alive.
func (b *Broker) heartbeatEvery() time.Duration {
	return clamp(b.presenceTTL/3, 50*time.Millisecond, 5*time.Second)
}

// expiryTick is how often a node checks for expired presence.
func (b *Broker) expiryTick() time.Duration {
	return clamp(b.presenceTTL/4, 25*time.Millisecond, time.Second)
}

func clamp(d, lo, hi time.Duration) time.Duration { return max(lo, min(d, hi)) }

func (b *Broker) heartbeatLoop(ctx context.Context) {
	defer b.wg.Done()
	t := time.NewTicker(b.heartbeatEvery())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := b.heartbeat(ctx); err != nil && ctx.Err() == nil {
				b.log.Debug("presence heartbeat failed", "error", err)
				continue
			}
			// Cheap insurance against a recreation this node missed.
			if err := b.refreshEpoch(ctx); err != nil && ctx.Err() == nil {
				b.log.Debug("failed to read the epoch", "error", err)
			}
		}
	}
}

// heartbeat rewrites this node's key, expecting its own last write: a
// mismatch means other nodes took this node for dead (it was cut off
// longer than presence_ttl) and removed its sessions' presence, which is
// then written back.
func (b *Broker) heartbeat(ctx context.Context) error {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	_, _, state, err := b.handles()
	if err != nil {
		return err
	}
	value := []byte(strconv.FormatInt(time.Now().UnixMilli(), 10))
	b.hbMu.Lock()
	defer b.hbMu.Unlock()
	var rev uint64
	if b.hbRev == 0 {
		rev, err = state.Put(ctx, nodeKey(b.node), value)
	} else {
		rev, err = state.Update(ctx, nodeKey(b.node), value, b.hbRev)
		if isCASConflict(err) {
			b.log.Warn("this node was taken for dead by others; restoring its presence")
			b.restorePresence(ctx)
			rev, err = state.Put(ctx, nodeKey(b.node), value)
		}
	}
	if err != nil {
		if isResourceLost(err) && b.resetup(ctx) {
			b.hbRev = 0
		}
		return err
	}
	b.hbRev = rev
	return nil
}

// restorePresence writes this node's sessions back into the records.
func (b *Broker) restorePresence(ctx context.Context) {
	for _, e := range b.presence.all() {
		if _, err := b.addToDoc(ctx, e.stream, e.id, e.sid, nil); err != nil {
			b.log.Warn("failed to restore presence", "stream", e.stream, "error", err)
		}
	}
}

func (b *Broker) expiryLoop(ctx context.Context) {
	defer b.wg.Done()
	t := time.NewTicker(b.expiryTick())
	defer t.Stop()
	reapEvery := clamp(b.presenceTTL/2, 50*time.Millisecond, 5*time.Second)
	var lastReap, lastCompact time.Time
	nodes := make(map[string]nodeSeen)
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			b.expireLocal(ctx, now)
			if now.Sub(lastReap) >= reapEvery {
				lastReap = now
				b.reapDeadNodes(ctx, nodes, now)
			}
			if now.Sub(lastCompact) >= compactEvery {
				lastCompact = now
				b.compactState(ctx, now)
			}
		}
	}
}

// expireLocal removes the presence of this node's sessions that stopped
// touching it and reports the leaves.
func (b *Broker) expireLocal(ctx context.Context, now time.Time) {
	// One pass at a time, so that when a pass returns every leave it found
	// has been reported (none is still in flight in another pass).
	b.expireMu.Lock()
	defer b.expireMu.Unlock()
	expired := b.presence.expired(now.Add(-b.presenceTTL))
	if len(expired) == 0 {
		return
	}
	leaves := make(map[string][]broker.PresenceEvent)
	for _, e := range expired {
		octx, cancel := withTimeout(ctx)
		left, err := b.removeFromDoc(octx, e.stream, e.id, e.sid, b.node)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				b.log.Warn("failed to expire presence, will retry", "stream", e.stream, "error", err)
			}
			continue // stays expired locally: retried next tick
		}
		b.presence.remove(e.sid, e.stream)
		if left {
			leaves[e.stream] = append(leaves[e.stream], broker.PresenceEvent{Type: "leave", ID: e.id})
		}
	}
	b.report(leaves)
}

func (b *Broker) report(leaves map[string][]broker.PresenceEvent) {
	for stream, events := range leaves {
		b.onExpire(stream, events)
	}
}

// nodeSeen is the last heartbeat revision seen from a node and since when
// (local clock, so nodes' clocks need not agree).
type nodeSeen struct {
	rev   uint64
	since time.Time
}

// reapDeadNodes removes the presence held by nodes whose heartbeat has not
// changed for presence_ttl and reports the leaves. Every node does this;
// the compare-and-set on each record makes one of them report a leave.
func (b *Broker) reapDeadNodes(ctx context.Context, seen map[string]nodeSeen, now time.Time) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	_, _, state, err := b.handles()
	if err != nil {
		return
	}
	entries, err := readEntries(ctx, state, allNodes, jetstream.IgnoreDeletes())
	if err != nil {
		if ctx.Err() == nil {
			b.log.Debug("failed to read node heartbeats", "error", err)
		}
		return
	}
	dead := make(map[string]uint64)
	current := make(map[string]bool, len(entries))
	for _, e := range entries {
		node := e.Key()[len(nodeKeyPrefix):]
		current[node] = true
		if node == b.node {
			continue
		}
		s, ok := seen[node]
		switch {
		case !ok || s.rev != e.Revision():
			seen[node] = nodeSeen{rev: e.Revision(), since: now}
		case now.Sub(s.since) > b.presenceTTL+b.heartbeatEvery():
			dead[node] = e.Revision()
		}
	}
	for node := range seen {
		if !current[node] {
			delete(seen, node)
		}
	}
	if len(dead) == 0 {
		return
	}
	docs, err := b.readDocs(ctx, state, allPresence)
	if err != nil {
		b.log.Warn("failed to read presence records", "error", err)
		return
	}
	leaves := make(map[string][]broker.PresenceEvent)
	failed := false
	for _, d := range docs {
		for sid, node := range d.Sids {
			if _, ok := dead[node]; !ok {
				continue
			}
			left, err := b.removeFromDoc(ctx, d.Stream, d.ID, sid, node)
			if err != nil {
				failed = true
				continue
			}
			if left {
				leaves[d.Stream] = append(leaves[d.Stream], broker.PresenceEvent{Type: "leave", ID: d.ID})
			}
		}
	}
	b.report(leaves)
	if failed {
		return // the nodes stay dead and are reaped again next time
	}
	for node, rev := range dead {
		err := state.Delete(ctx, nodeKey(node), jetstream.LastRevision(rev))
		if err == nil {
			b.log.Info("expired the presence of a stopped node", "node", node)
		}
		delete(seen, node)
	}
}

// compactState removes delete markers older than markerAge. The purge is
// bounded by the marker's revision, so a record created again since is
// kept.
func (b *Broker) compactState(ctx context.Context, now time.Time) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	_, _, state, err := b.handles()
	if err != nil {
		return
	}
	entries, err := readEntries(ctx, state, ">", jetstream.MetaOnly())
	if err != nil {
		return
	}
	stream, err := b.js.Stream(ctx, "KV_"+b.names.state)
	if err != nil {
		return
	}
	n := 0
	for _, e := range entries {
		op := e.Operation()
		if (op != jetstream.KeyValueDelete && op != jetstream.KeyValuePurge) || now.Sub(e.Created()) < markerAge {
			continue
		}
		err := stream.Purge(ctx, jetstream.WithPurgeSubject("$KV."+b.names.state+"."+e.Key()),
			jetstream.WithPurgeSequence(e.Revision()+1))
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				b.log.Debug("failed to compact the state bucket", "error", err)
			}
			return
		}
		n++
	}
	if n > 0 {
		b.log.Debug("compacted the state bucket", "markers", n)
	}
}
