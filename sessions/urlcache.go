package sessions

import (
	"hash/maphash"
	"sync/atomic"

	"github.com/densecable/densecable/frames"
)

// urlCache shares the request URL string (env.url, kept by every session
// for its RPC calls) between sessions that connected with the same URL:
// usually most of them (one cable path, one SSE stream URL). It is a small
// direct-mapped table of recent URLs, not an intern pool: a URL unique to
// its client (a token in the query) costs the same string as without the
// cache and only evicts a slot, so the table's memory stays fixed
// (urlSlots pointers) whatever the clients send.
type urlCache struct {
	seed  maphash.Seed
	slots [urlSlots]atomic.Pointer[string]
}

const urlSlots = 64

func newURLCache() *urlCache { return &urlCache{seed: maphash.MakeSeed()} }

// get returns scheme+host+uri, the cached copy when the slot holds it.
// It builds no string on a hit.
func (c *urlCache) get(scheme, host, uri string) string {
	var h maphash.Hash
	h.SetSeed(c.seed)
	h.WriteString(scheme)
	h.WriteString(host)
	h.WriteString(uri)
	slot := &c.slots[h.Sum64()%urlSlots]
	if p := slot.Load(); p != nil && isConcat(*p, scheme, host, uri) {
		return *p
	}
	u := scheme + host + uri
	slot.Store(&u)
	return u
}

// isConcat reports whether s == a+b+c without building the concatenation.
func isConcat(s, a, b, c string) bool {
	return len(s) == len(a)+len(b)+len(c) && s[:len(a)] == a && s[len(a):len(a)+len(b)] == b && s[len(a)+len(b):] == c
}

// requestURL is the session's request URL (the package function requestURL),
// shared through the cache.
func (c *urlCache) requestURL(req *frames.Request, tls bool) string {
	if c == nil { // a Node built by hand in a test
		return requestURL(req, tls)
	}
	return c.get(urlScheme(tls), req.Host, req.URI)
}
