package server

import (
	"strings"
	"sync"

	"github.com/densecable/densecable/api/broadcast"
	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/poller"
)

// heldCORS is the CORS answer of the held endpoints, with allowed_origins'
// rule (broadcast.CORS): Allow-Origin is `*` without a list, the request's
// Origin when it is allowed, absent otherwise. The protocol headers a
// browser client must send and read are listed.
type heldCORS struct {
	rule  *broadcast.CORS
	cache *sync.Map // methods → the shared "*" answer; "\x00"+methods → the one without Allow-Origin
}

const (
	heldAllowHeaders  = "Origin, X-Requested-With, X-Request-ID, Content-Type, Accept, X-CSRF-Token, Authorization, X-Anycable-Poll-ID, X-Signed, Last-Event-ID"
	heldExposeHeaders = "X-Anycable-Poll-ID, Stream-Next-Offset, Stream-Up-To-Date, Stream-Cursor"
)

func newHeldCORS(allowedOrigins []string) heldCORS {
	return heldCORS{rule: broadcast.NewCORS(strings.Join(allowedOrigins, ",")), cache: &sync.Map{}}
}

// headers returns the CORS headers for req. The common answers (no
// Origin, or any origin allowed) are shared slices: a held request keeps
// them while it waits, so they must cost nothing per request. Callers
// must not modify the result.
func (c heldCORS) headers(req *poller.HTTPRequest, methods string) []frames.Header {
	return *c.headersRef(req, methods)
}

// headersRef is headers behind a pointer (shared in the common cases): a
// held long poll keeps one word for them instead of a slice header.
func (c heldCORS) headersRef(req *poller.HTTPRequest, methods string) *[]frames.Header {
	origin := req.Get("origin")
	switch {
	case origin == "" && c.rule.AllowsOrigin(""):
		return c.star(methods)
	case origin == "" || !c.rule.AllowsOrigin(origin):
		return c.shared(methods)
	}
	// (Declared here: a variable whose address escapes is a heap
	// allocation wherever it is declared, even on the shared paths.)
	h := c.common([]frames.Header{{Key: "Access-Control-Allow-Origin", Value: origin}}, methods)
	return &h
}

func (c heldCORS) common(dst []frames.Header, methods string) []frames.Header {
	return append(dst,
		frames.Header{Key: "Access-Control-Allow-Methods", Value: methods},
		frames.Header{Key: "Access-Control-Allow-Credentials", Value: "true"},
		frames.Header{Key: "Access-Control-Allow-Headers", Value: heldAllowHeaders},
		frames.Header{Key: "Access-Control-Expose-Headers", Value: heldExposeHeaders},
	)
}

// shared is the shared answer without Access-Control-Allow-Origin (an
// Origin not allowed, or none with a list of origins).
func (c heldCORS) shared(methods string) *[]frames.Header {
	key := "\x00" + methods // apart from star's keys
	if v, ok := c.cache.Load(key); ok {
		return v.(*[]frames.Header)
	}
	h := c.common(nil, methods)
	v, _ := c.cache.LoadOrStore(key, &h)
	return v.(*[]frames.Header)
}

// star is the shared answer for requests without an Origin when every
// origin is allowed (methods is one of a few constants per route).
func (c heldCORS) star(methods string) *[]frames.Header {
	if v, ok := c.cache.Load(methods); ok {
		return v.(*[]frames.Header)
	}
	h := c.common([]frames.Header{{Key: "Access-Control-Allow-Origin", Value: "*"}}, methods)
	v, _ := c.cache.LoadOrStore(methods, &h)
	return v.(*[]frames.Header)
}

// setupHeld adds long polling's and Durable Streams' held routes (after
// setupMetrics: they register their metrics).
func (a *app) setupHeld(wsh *wsHandler) {
	a.setupLongPoll(wsh)
	a.setupDurableStreams(wsh)
}

// pathRoute matches every method on path (the handler answers OPTIONS and
// 405 itself), or below it with prefix.
func pathRoute(path string, prefix bool, maxBody int) func(string, string) (int, bool) {
	return func(_, p string) (int, bool) {
		return maxBody, p == path || prefix && strings.HasPrefix(p, path+"/")
	}
}

// baseURL is the main listener's URL for log lines (after Listen).
func (a *app) baseURL() string { return "http://" + a.ws.Addr().String() }
