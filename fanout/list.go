package fanout

// subscriberList is a stream's subscribers as slices: the delivery loop
// walks them in memory order instead of iterating Go maps (a map walk
// costs a few times more per element, and its buckets sit apart from
// each other: docs/benchmarks.md, the one-write floor). The maps stay the
// table (Subscribe and Unsubscribe are O(1) on them); the list is a copy,
// built by the first broadcast after a change, so a stream that is never
// broadcast to, or idle connections, pay nothing for it. Immutable once
// published.
type subscriberList struct {
	channels []channelList
}

type channelList struct {
	identifier string
	subs       []listed
}

// listed is one subscriber of a channel with what delivery needs.
type listed struct {
	sub Subscriber
	member
}

// subscribers returns st's list, building it when a change dropped it.
// Called with the shard's lock held (read or write): a change, which
// drops the list, takes the write lock, so a list built here from the
// maps is current until the caller releases the lock. Two gates never
// deliver one stream, but Load/Store keep a concurrent builder (and the
// race detector) safe anyway: both would store equal lists.
func (st *stream) subscribers() *subscriberList {
	if l := st.list.Load(); l != nil {
		return l
	}
	n := 0
	for _, subs := range st.channels {
		n += len(subs)
	}
	all := make([]listed, 0, n) // one allocation for every channel's subscribers
	l := &subscriberList{channels: make([]channelList, 0, len(st.channels))}
	for identifier, subs := range st.channels {
		start := len(all)
		for sub, m := range subs {
			all = append(all, listed{sub: sub, member: m})
		}
		l.channels = append(l.channels, channelList{identifier: identifier, subs: all[start:len(all):len(all)]})
	}
	st.list.Store(l)
	return l
}
