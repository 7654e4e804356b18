package redisstore

import (
	"sync"

	"github.com/densecable/densecable/broker"
)

// expiryLog keeps every (stream, id) leave a node reported.
type expiryLog struct {
	mu     sync.Mutex
	leaves []string
}

func (l *expiryLog) record(stream string, events []broker.PresenceEvent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range events {
		l.leaves = append(l.leaves, stream+"/"+e.Type+"/"+e.ID)
	}
}

func (l *expiryLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.leaves...)
}
