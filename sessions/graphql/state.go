package graphql

import (
	"slices"
	"sync"

	"github.com/densecable/densecable/sessions/protocol"
)

// state is one connection's protocol state: whether it sent
// connection_init, and its running operations. Screen (the transport's
// goroutine) and Transmit (the session's worker) share it.
type state struct {
	mu     sync.Mutex
	inited bool
	ops    []string // running operation ids, at most MaxOperations
}

// NewState implements protocol.Stateful. An idle connection costs this
// struct and its operations' ids.
func (p *Protocol) NewState() any { return &state{} }

// Screen implements protocol.Screener: the order and uniqueness rules of
// graphql-ws, with its close codes.
func (p *Protocol) Screen(st any, m *protocol.Command) error {
	s := st.(*state)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch m.Command {
	case "connect":
		if s.inited {
			return &protocol.Refusal{Code: CodeTooManyInitRequests, Reason: "Too many initialisation requests"}
		}
		s.inited = true
	case "subscribe":
		if !s.inited {
			return &protocol.Refusal{Code: CodeUnauthorized, Reason: "Unauthorized"}
		}
		id := operationID(m.Identifier)
		if slices.Contains(s.ops, id) {
			reason := closeReason("Subscriber for " + id + " already exists")
			if p.legacy {
				return &protocol.Refusal{Reply: p.enc.appendError(nil, id, reason), Reason: reason}
			}
			return &protocol.Refusal{Code: CodeSubscriberExists, Reason: reason}
		}
		if len(s.ops) >= MaxOperations {
			return &protocol.Refusal{Code: CodeBadRequest, Reason: "Too many operations"}
		}
		s.ops = append(s.ops, id)
	case "unsubscribe":
		if !s.remove(operationID(m.Identifier)) {
			return &protocol.Refusal{Reason: "unknown operation"} // nothing to stop: dropped
		}
	}
	return nil
}

// remove forgets operation id; s.mu is held.
func (s *state) remove(id string) bool {
	i := slices.Index(s.ops, id)
	if i < 0 {
		return false
	}
	s.ops = slices.Delete(s.ops, i, i+1)
	if len(s.ops) == 0 {
		s.ops = nil // an idle connection keeps no array
	}
	return true
}

func (s *state) done(id string) {
	s.mu.Lock()
	s.remove(id)
	s.mu.Unlock()
}
