package sessions

// chanState is a channel's state (istate): the few pairs an RPC
// application or the stream router keeps per subscription (whisper and
// presence streams). A slice of pairs, not a map: a subscribed client keeps
// one, and a Go map costs about 300 bytes even with two entries, a slice of
// two pairs 64. Lookups scan; the count stays small because only the
// application sets keys (the router sets two).
type chanState []statePair

type statePair struct{ key, value string }

// get is the value of key ("" when unset).
func (s chanState) get(key string) string {
	for _, p := range s {
		if p.key == key {
			return p.value
		}
	}
	return ""
}

// merge applies an RPC state update as mergeState does for maps: "" deletes
// a key.
func (s chanState) merge(upd map[string]string) chanState {
	for k, v := range upd {
		i := s.index(k)
		switch {
		case v == "" && i >= 0:
			s = append(s[:i], s[i+1:]...)
		case v == "":
		case i >= 0:
			s[i].value = v
		default:
			s = append(s, statePair{k, v})
		}
	}
	if len(s) == 0 {
		return nil
	}
	return s
}

func (s chanState) index(key string) int {
	for i, p := range s {
		if p.key == key {
			return i
		}
	}
	return -1
}

// asMap is the state as the RPC env and the snapshot carry it (nil when
// empty); built per call, the channel keeps the slice.
func (s chanState) asMap() map[string]string {
	if len(s) == 0 {
		return nil
	}
	m := make(map[string]string, len(s))
	for _, p := range s {
		m[p.key] = p.value
	}
	return m
}
