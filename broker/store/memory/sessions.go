package memory

import (
	"context"
	"sync"
	"time"
)

// sessionEntry is a cached session snapshot.
type sessionEntry struct {
	data     []byte
	deadline int64 // Unix nanoseconds
}

type sessionShard struct {
	mu sync.Mutex
	m  map[string]sessionEntry
	peakTracker
}

func (b *Broker) sessionsTTL() time.Duration {
	return time.Duration(b.opts.SessionsTTL) * time.Second
}

// CommitSession keeps a copy of snapshot for sessions_ttl; with
// sessions_ttl 0 the cache is off and nothing is kept.
func (b *Broker) CommitSession(_ context.Context, sid string, snapshot []byte) error {
	if b.opts.SessionsTTL <= 0 {
		return nil
	}
	e := sessionEntry{data: append([]byte(nil), snapshot...), deadline: b.now().Add(b.sessionsTTL()).UnixNano()}
	sh := &b.sessions[shardOf(sid)]
	sh.mu.Lock()
	sh.m[sid] = e
	sh.grew(len(sh.m))
	sh.mu.Unlock()
	return nil
}

// RestoreSession returns a copy of the snapshot, or nil when there is none
// or it expired (even if the sweeper has not removed it yet).
func (b *Broker) RestoreSession(_ context.Context, sid string) ([]byte, error) {
	now := b.now().UnixNano()
	sh := &b.sessions[shardOf(sid)]
	sh.mu.Lock()
	e, ok := sh.m[sid]
	sh.mu.Unlock()
	if !ok || now >= e.deadline {
		return nil, nil
	}
	return append([]byte(nil), e.data...), nil
}

// TouchSession moves the snapshot's expiry to sessions_ttl from now.
func (b *Broker) TouchSession(_ context.Context, sid string) error {
	now := b.now()
	sh := &b.sessions[shardOf(sid)]
	sh.mu.Lock()
	if e, ok := sh.m[sid]; ok && now.UnixNano() < e.deadline {
		e.deadline = now.Add(b.sessionsTTL()).UnixNano()
		sh.m[sid] = e
	}
	sh.mu.Unlock()
	return nil
}

func (b *Broker) sweepSessions(now int64) {
	for i := range b.sessions {
		sh := &b.sessions[i]
		sh.mu.Lock()
		for sid, e := range sh.m {
			if now >= e.deadline {
				delete(sh.m, sid)
			}
		}
		if sh.shouldShrink(len(sh.m)) {
			sh.m = shrunk(sh.m, &sh.peakTracker)
		}
		sh.mu.Unlock()
	}
}
