package natsstore

import (
	"sync"
	"time"
)

// localPresence is what this node knows of its own sessions' presence:
// which stream each sid is present in under which id, and when the session
// last touched it. Touches stay local (no network per touch); the node's
// heartbeat tells the others it is alive.
type localPresence struct {
	mu       sync.Mutex
	sessions map[string]*presentSession
}

type presentSession struct {
	streams map[string]string // stream → presence id
	touched time.Time
}

// presentEntry is one (session, stream) presence.
type presentEntry struct{ sid, stream, id string }

func newLocalPresence() *localPresence {
	return &localPresence{sessions: make(map[string]*presentSession)}
}

// idOf returns sid's presence id in stream.
func (l *localPresence) idOf(sid, stream string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := l.sessions[sid]; s != nil {
		id, ok := s.streams[stream]
		return id, ok
	}
	return "", false
}

func (l *localPresence) add(sid, stream, id string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.sessions[sid]
	if s == nil {
		s = &presentSession{streams: make(map[string]string, 1)}
		l.sessions[sid] = s
	}
	s.streams[stream] = id
	s.touched = now
}

func (l *localPresence) remove(sid, stream string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.sessions[sid]
	if s == nil {
		return
	}
	delete(s.streams, stream)
	if len(s.streams) == 0 {
		delete(l.sessions, sid)
	}
}

func (l *localPresence) touch(sid string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := l.sessions[sid]; s != nil {
		s.touched = now
	}
}

// expired lists the entries of sessions not touched since deadline.
func (l *localPresence) expired(deadline time.Time) []presentEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []presentEntry
	for sid, s := range l.sessions {
		if s.touched.Before(deadline) {
			for stream, id := range s.streams {
				out = append(out, presentEntry{sid, stream, id})
			}
		}
	}
	return out
}

// all lists every entry.
func (l *localPresence) all() []presentEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []presentEntry
	for sid, s := range l.sessions {
		for stream, id := range s.streams {
			out = append(out, presentEntry{sid, stream, id})
		}
	}
	return out
}
