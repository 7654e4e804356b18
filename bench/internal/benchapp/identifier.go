package benchapp

import (
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
)

// subscription is what an identifier resolves to. Its slices are shared by
// every response for that identifier and must not be modified.
type subscription struct {
	benchmark bool
	streams   []string // exactly one stream
	confirm   []string // the confirm_subscription transmission
}

// maxCachedIdentifiers bounds the cache; benchmarks use one identifier (or
// one per id), demo users a handful.
const maxCachedIdentifiers = 100_000

// subscriptionCache memoises identifier parsing: thousands of clients
// subscribe with the same identifier during a connection avalanche.
type subscriptionCache struct {
	m sync.Map // identifier → *subscription
	n atomic.Int64
}

func (c *subscriptionCache) lookup(identifier string) (*subscription, bool) {
	if v, ok := c.m.Load(identifier); ok {
		return v.(*subscription), true
	}
	sub, ok := parseIdentifier(identifier)
	if !ok {
		return nil, false
	}
	if c.n.Load() < maxCachedIdentifiers {
		if _, loaded := c.m.LoadOrStore(identifier, sub); !loaded {
			c.n.Add(1)
		}
	}
	return sub, true
}

// parseIdentifier resolves a channel identifier to its stream.
func parseIdentifier(identifier string) (*subscription, bool) {
	var v struct {
		Channel string          `json:"channel"`
		ID      json.RawMessage `json:"id"`
		Room    json.RawMessage `json:"room"`
		Stream  json.RawMessage `json:"stream"`
	}
	if err := json.Unmarshal([]byte(identifier), &v); err != nil || v.Channel == "" {
		return nil, false
	}
	sub := &subscription{confirm: []string{replyType("confirm_subscription", identifier)}}
	switch {
	case v.Channel == BenchmarkChannel:
		sub.benchmark = true
		sub.streams = []string{"all" + paramText(v.ID)}
	case len(v.Stream) > 0 && paramText(v.Stream) != "":
		sub.streams = []string{paramText(v.Stream)}
	case len(v.Room) > 0 && paramText(v.Room) != "":
		sub.streams = []string{v.Channel + ":" + paramText(v.Room)}
	default:
		sub.streams = []string{v.Channel}
	}
	return sub, true
}

// paramText renders an identifier param as Ruby's string interpolation
// would: strings unquoted, numbers as written, null/absent as "".
func paramText(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return strings.TrimSpace(string(raw))
}
