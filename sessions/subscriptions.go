package sessions

import "unique"

// channel is one subscription: its identifier, streams and channel state.
type channel struct {
	// id is interned: every subscriber of a channel shares one copy of the
	// identifier (the decoded command's buffer is not kept alive by it).
	id unique.Handle[string]
	// streams hold the names as the fanout table stores them, so the
	// subscribers of a stream share one string (Hub.Subscribe).
	streams []string
	istate  chanState
	local   bool // handled by the ChannelRouter: no RPC for its lifecycle
}

// identifier is the channel's identifier.
func (c *channel) identifier() string { return c.id.Value() }

// indexAbove is the count of subscriptions past which a session also keeps
// a map: a client usually has one or a few subscriptions, where a slice
// scan is cheaper and a map costs ~200 bytes even with one entry, but the
// number is the client's to choose, so lookups stay O(1) for many.
const indexAbove = 16

// subscriptions is a session's channels in subscription order.
type subscriptions struct {
	list  []*channel
	index map[string]*channel // nil until len(list) > indexAbove
}

func (s *subscriptions) len() int { return len(s.list) }

// get finds the channel subscribed as id (nil: none).
func (s *subscriptions) get(id string) *channel {
	if s.index != nil {
		return s.index[id]
	}
	for _, c := range s.list {
		if c.id.Value() == id {
			return c
		}
	}
	return nil
}

// add appends a channel whose identifier is not subscribed yet.
func (s *subscriptions) add(c *channel) {
	s.list = append(s.list, c)
	if s.index != nil {
		s.index[c.identifier()] = c
	} else if len(s.list) > indexAbove {
		s.index = make(map[string]*channel, len(s.list))
		for _, x := range s.list {
			s.index[x.identifier()] = x
		}
	}
}

// remove drops the channel subscribed as id, keeping the others' order.
func (s *subscriptions) remove(id string) {
	for i, c := range s.list {
		if c.id.Value() != id {
			continue
		}
		copy(s.list[i:], s.list[i+1:])
		s.list[len(s.list)-1] = nil
		s.list = s.list[:len(s.list)-1]
		if len(s.list) == 0 {
			s.list = nil
		}
		if s.index != nil {
			delete(s.index, id)
			if len(s.list) <= indexAbove/2 {
				s.index = nil
			}
		}
		return
	}
}

// newChannel makes a subscription's record with its identifier interned.
func newChannel(id string) *channel { return &channel{id: unique.Make(id)} }
