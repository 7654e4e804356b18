package pubsub

import "sync"

// channelSet tracks the Redis channels a node wants against what its
// current connection has: Subscribe and Unsubscribe only record the wish
// (they must not wait for the network), the connection loop sends what is
// pending, and a new connection starts with everything pending again.
// Pending channels are coalesced, so a stream that flaps between one and
// zero local subscribers costs at most one SUBSCRIBE or UNSUBSCRIBE per
// round.
type channelSet struct {
	mu        sync.Mutex
	wanted    map[string]struct{}
	pending   map[string]struct{} // state to send: subscribe if wanted, else unsubscribe
	sent      map[string]struct{} // SUBSCRIBE sent on the current connection
	confirmed map[string]struct{} // subscription confirmed by the server
}

func newChannelSet() *channelSet {
	return &channelSet{
		wanted:    make(map[string]struct{}),
		pending:   make(map[string]struct{}),
		sent:      make(map[string]struct{}),
		confirmed: make(map[string]struct{}),
	}
}

// want records whether ch is wanted and reports whether that changed.
func (s *channelSet) want(ch string, on bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.wanted[ch]; ok == on {
		return false
	}
	if on {
		s.wanted[ch] = struct{}{}
	} else {
		delete(s.wanted, ch)
	}
	s.pending[ch] = struct{}{}
	return true
}

// take empties the pending set into channels to subscribe and to
// unsubscribe, at most limit in all (the rest stays pending).
func (s *channelSet) take(limit int) (sub, unsub []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ch := range s.pending {
		if len(sub)+len(unsub) == limit {
			break
		}
		delete(s.pending, ch)
		_, wanted := s.wanted[ch]
		_, sent := s.sent[ch]
		switch {
		case wanted && !sent:
			s.sent[ch] = struct{}{}
			sub = append(sub, ch)
		case !wanted && sent:
			delete(s.sent, ch)
			unsub = append(unsub, ch)
		}
	}
	return sub, unsub
}

// hasPending reports whether take has work.
func (s *channelSet) hasPending() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending) > 0
}

// reset starts a new connection: nothing is confirmed, everything wanted
// is pending.
func (s *channelSet) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.confirmed)
	clear(s.sent)
	clear(s.pending)
	for ch := range s.wanted {
		s.pending[ch] = struct{}{}
	}
}

// confirm records the server's answer to a (un)subscription.
func (s *channelSet) confirm(ch string, subscribed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if subscribed {
		s.confirmed[ch] = struct{}{}
	} else {
		delete(s.confirmed, ch)
	}
}

// isConfirmed reports whether ch is subscribed on the current connection.
func (s *channelSet) isConfirmed(ch string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.confirmed[ch]
	return ok
}
