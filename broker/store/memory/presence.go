package memory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/densecable/densecable/broker"
)

// errEmptyPresenceID: a presence record needs an id.
var errEmptyPresenceID = errors.New("presence id is empty")

// presenceStream is one stream's presence set: the sessions present and
// the ids they are present as (several sessions may share an id).
type presenceStream struct {
	sessions map[string]*presenceMember // sid → member
	records  map[string]*presenceRecord // id → record
}

type presenceMember struct {
	id       string
	deadline int64 // Unix nanoseconds; touched sessions move it
}

type presenceRecord struct {
	info     []byte // the first session's info; owned by the broker
	sessions int
}

type presenceShard struct {
	mu sync.Mutex
	m  map[string]*presenceStream
	peakTracker
}

// memberShard indexes the streams a session is present in, so that
// TouchPresence(sid) finds them. It is changed only while the stream's
// presence shard is locked too (lock order: presence, then members), so
// the index always matches the presence sets.
type memberShard struct {
	mu sync.Mutex
	m  map[string]map[string]struct{} // sid → streams
	peakTracker
}

func (b *Broker) presenceDeadline() int64 {
	return b.now().Add(time.Duration(b.opts.PresenceTTL) * time.Second).UnixNano()
}

// PresenceAdd records sid as present in stream as id.
func (b *Broker) PresenceAdd(_ context.Context, name, sid, id string, info []byte) (*broker.PresenceEvent, error) {
	if id == "" {
		return nil, errEmptyPresenceID
	}
	deadline := b.presenceDeadline()
	sh := &b.presence[shardOf(name)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	ps := sh.m[name]
	if ps == nil {
		ps = &presenceStream{sessions: make(map[string]*presenceMember, 1), records: make(map[string]*presenceRecord, 1)}
		sh.m[name] = ps
		sh.grew(len(sh.m))
	}
	if m := ps.sessions[sid]; m != nil {
		if m.id != id {
			return nil, fmt.Errorf("%w: session is present as %q, not %q", broker.ErrPresenceIDMismatch, m.id, id)
		}
		m.deadline = deadline
		return nil, nil
	}
	ps.sessions[sid] = &presenceMember{id: id, deadline: deadline}
	b.indexMember(sid, name, true)
	if r := ps.records[id]; r != nil {
		r.sessions++
		return nil, nil
	}
	kept := append([]byte(nil), info...)
	ps.records[id] = &presenceRecord{info: kept, sessions: 1}
	return &broker.PresenceEvent{Type: "join", ID: id, Info: kept}, nil
}

// PresenceRemove removes sid from stream.
func (b *Broker) PresenceRemove(_ context.Context, name, sid string) (*broker.PresenceEvent, error) {
	sh := &b.presence[shardOf(name)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	ps := sh.m[name]
	if ps == nil || ps.sessions[sid] == nil {
		return nil, nil
	}
	left, ok := b.removeMember(sh, name, ps, sid)
	if !ok {
		return nil, nil
	}
	return &broker.PresenceEvent{Type: "leave", ID: left}, nil
}

// removeMember drops sid from ps (locked) and reports the id that left when
// sid was its last session. An emptied stream is dropped.
func (b *Broker) removeMember(sh *presenceShard, name string, ps *presenceStream, sid string) (string, bool) {
	m := ps.sessions[sid]
	delete(ps.sessions, sid)
	b.indexMember(sid, name, false)
	if len(ps.sessions) == 0 {
		delete(sh.m, name)
	}
	r := ps.records[m.id]
	r.sessions--
	if r.sessions > 0 {
		return "", false
	}
	delete(ps.records, m.id)
	return m.id, true
}

// indexMember adds or removes stream in sid's index entry; the caller
// holds the stream's presence shard.
func (b *Broker) indexMember(sid, name string, add bool) {
	ms := &b.members[shardOf(sid)]
	ms.mu.Lock()
	defer ms.mu.Unlock()
	set := ms.m[sid]
	if add {
		if set == nil {
			set = make(map[string]struct{}, 1)
			ms.m[sid] = set
			ms.grew(len(ms.m))
		}
		set[name] = struct{}{}
		return
	}
	delete(set, name)
	if len(set) == 0 {
		delete(ms.m, sid)
		if ms.shouldShrink(len(ms.m)) {
			ms.m = shrunk(ms.m, &ms.peakTracker)
		}
	}
}

// PresenceInfo returns the stream's ids, sorted, with their info. The info
// slices are shared: callers must not modify them.
func (b *Broker) PresenceInfo(_ context.Context, name string) (*broker.PresenceInfo, error) {
	sh := &b.presence[shardOf(name)]
	sh.mu.Lock()
	ps := sh.m[name]
	info := &broker.PresenceInfo{}
	if ps != nil {
		info.Records = make([]broker.PresenceRecord, 0, len(ps.records))
		for id, r := range ps.records {
			info.Records = append(info.Records, broker.PresenceRecord{ID: id, Info: r.info})
		}
	}
	sh.mu.Unlock()
	info.Total = len(info.Records)
	slices.SortFunc(info.Records, func(a, b broker.PresenceRecord) int { return strings.Compare(a.ID, b.ID) })
	return info, nil
}

// TouchPresence moves sid's presence expiry to presence_ttl from now in
// every stream it is present in.
func (b *Broker) TouchPresence(_ context.Context, sid string) error {
	ms := &b.members[shardOf(sid)]
	ms.mu.Lock()
	streams := make([]string, 0, len(ms.m[sid]))
	for name := range ms.m[sid] {
		streams = append(streams, name)
	}
	ms.mu.Unlock()
	if len(streams) == 0 {
		return nil
	}
	deadline := b.presenceDeadline()
	for _, name := range streams {
		sh := &b.presence[shardOf(name)]
		sh.mu.Lock()
		if ps := sh.m[name]; ps != nil {
			if m := ps.sessions[sid]; m != nil {
				m.deadline = deadline
			}
		}
		sh.mu.Unlock()
	}
	return nil
}

type expiredLeaves struct {
	stream string
	events []broker.PresenceEvent
}

// sweepPresence removes sessions not touched within presence_ttl and hands
// the resulting leave events to onExpire (outside the locks).
func (b *Broker) sweepPresence(now int64) {
	var expired []expiredLeaves
	for i := range b.presence {
		sh := &b.presence[i]
		sh.mu.Lock()
		for name, ps := range sh.m {
			var events []broker.PresenceEvent
			for sid, m := range ps.sessions {
				if now < m.deadline {
					continue
				}
				if id, left := b.removeMember(sh, name, ps, sid); left {
					events = append(events, broker.PresenceEvent{Type: "leave", ID: id})
				}
			}
			if len(events) > 0 {
				slices.SortFunc(events, func(a, b broker.PresenceEvent) int { return strings.Compare(a.ID, b.ID) })
				expired = append(expired, expiredLeaves{stream: name, events: events})
			}
		}
		if sh.shouldShrink(len(sh.m)) {
			sh.m = shrunk(sh.m, &sh.peakTracker)
		}
		sh.mu.Unlock()
	}
	if b.onExpire == nil {
		return
	}
	for _, e := range expired {
		b.onExpire(e.stream, e.events)
	}
}
