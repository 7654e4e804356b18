package durablestreams

import (
	"errors"
	"net/url"
	"strings"

	"github.com/densecable/densecable/frames"
)

// Live modes (?live=).
const (
	liveNone     = ""
	liveLongPoll = "long-poll"
	liveSSE      = "sse"
)

// maxStreamLen bounds a stream name taken from the URL.
const maxStreamLen = 1024

// params is a parsed read request.
type params struct {
	stream string
	pos    position
	raw    string // the offset as sent
	live   string
	cursor string
	signed string
}

var (
	errNoStream   = errors.New("stream is missing in the URL")
	errBadStream  = errors.New("malformed stream name")
	errLive       = errors.New("invalid live mode")
	errLiveOffset = errors.New("offset is missing for live mode")
)

// parseParams reads a request under prefix (the --ds_path): the stream is
// the rest of the path, percent-decoded.
func parseParams(prefix string, req *frames.Request) (*params, error) {
	path := strings.TrimPrefix(req.Path(), prefix)
	path = strings.TrimPrefix(path, "/")
	if path == "" {
		return nil, errNoStream
	}
	stream, err := url.PathUnescape(path)
	if err != nil || len(stream) > maxStreamLen || strings.ContainsAny(stream, "\x00\r\n") {
		return nil, errBadStream
	}
	q := req.Query()
	p := &params{stream: stream, raw: q.Get("offset"), live: q.Get("live"), cursor: q.Get("cursor"), signed: q.Get("signed")}
	if p.signed == "" {
		p.signed = req.Get("x-signed")
	}
	switch p.live {
	case liveNone, liveLongPoll, liveSSE:
	default:
		return nil, errLive
	}
	if p.live != liveNone && p.raw == "" {
		return nil, errLiveOffset
	}
	if p.pos, err = parseOffset(p.raw); err != nil {
		return nil, err
	}
	return p, nil
}
