package fanout

// Subscribers is the number of distinct subscribers to stream on this node
// (for the Pusher API's subscription_count); it takes the shard's read lock.
func (h *Hub) Subscribers(streamName string) int {
	sh := h.shardFor(streamName)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	st := sh.streams[streamName]
	if st == nil {
		return 0
	}
	if len(st.channels) == 1 {
		for _, subs := range st.channels {
			return len(subs)
		}
	}
	seen := make(map[Subscriber]struct{})
	for _, subs := range st.channels {
		for s := range subs {
			seen[s] = struct{}{}
		}
	}
	return len(seen)
}
