package sse

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unique"

	"github.com/densecable/densecable/encoders"
	"github.com/densecable/densecable/encoders/jsonkit"
	"github.com/densecable/densecable/frames"
)

// Bounds on what a request may ask for.
const (
	// MaxBodySize bounds a POST body (anycable-go's 64 KiB).
	MaxBodySize = 64 << 10
	// MaxCommands bounds the subscribe commands of one POST: each one is a
	// command in the session's inbox (256 at most), and one more is the
	// handler's own.
	MaxCommands = 64
)

// Query parameters (anycable-go's names).
const (
	paramIdentifier   = "identifier"
	paramChannel      = "channel"
	paramStream       = "stream"
	paramSignedStream = "signed_stream"
	paramTurbo        = "turbo_signed_stream_name"
	paramHistorySince = "history_since"
	paramRaw          = "raw"
)

var (
	errNoChannel    = errors.New("no channel provided")
	errTooManyLines = fmt.Errorf("more than %d commands", MaxCommands)
)

// getCommand builds the one subscribe command of a GET request from its
// query (the first of identifier, channel, stream, signed_stream,
// turbo_signed_stream_name that is set) and its Last-Event-ID header
// ("offset/epoch/stream": history from that position; any other shape is
// ignored, a non-numeric offset is an error). history_since asks for the
// history since a Unix time.
func getCommand(q query, lastEventID string) (*encoders.Message, error) {
	// Identifiers are shared (shareIdentifier) where they are made.
	id := q.Get(paramIdentifier)
	if id != "" {
		id = shareIdentifier(id)
	} else {
		if c := q.Get(paramChannel); c != "" {
			id = identifierJSON("channel", c, "", "")
		} else if s := q.Get(paramStream); s != "" {
			id = identifierJSON("channel", "$pubsub", "stream_name", s)
		} else if s := q.Get(paramSignedStream); s != "" {
			id = identifierJSON("channel", "$pubsub", "signed_stream_name", s)
		} else if s := q.Get(paramTurbo); s != "" {
			id = identifierJSON("channel", "Turbo::StreamsChannel", "signed_stream_name", s)
		}
	}
	if id == "" {
		return nil, errNoChannel
	}
	m := &encoders.Message{Command: "subscribe", Identifier: id}
	if lastEventID != "" {
		parts := strings.SplitN(lastEventID, "/", 3)
		if len(parts) == 3 {
			off, err := strconv.ParseUint(parts[0], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("failed to parse last event id: %s", lastEventID)
			}
			m.History = &encoders.HistoryRequest{Streams: map[string]encoders.StreamPosition{
				parts[2]: {Epoch: parts[1], Offset: off},
			}}
		}
	}
	if v := q.Get(paramHistorySince); v != "" {
		since, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("failed to parse history since value: %s", v)
		}
		if m.History == nil {
			m.History = &encoders.HistoryRequest{}
		}
		m.History.Since = since
	}
	return m, nil
}

// query is a request's query parameters: url.Values, or requestQuery,
// which reads them from the request line without building the map.
type query interface{ Get(key string) string }

// requestQuery reads parameters in place (frames.Request.QueryValue, whose
// fuzz test checks it against url.ParseQuery): a stream's start makes no
// map. One pointer, so it fits an interface without an allocation.
type requestQuery struct{ r *frames.Request }

func (q requestQuery) Get(key string) string { return q.r.QueryValue(key) }

// identifierJSON is {"k1":"v1"} or {"k1":"v1","k2":"v2"} (keys in order,
// as the reference's sorted map gives them), shared (shareIdentifier).
func identifierJSON(k1, v1, k2, v2 string) string {
	b := append(make([]byte, 0, 32+len(v1)+len(v2)), '{')
	b = jsonkit.AppendString(b, k1)
	b = append(b, ':')
	b = jsonkit.AppendString(b, v1)
	if k2 != "" {
		b = append(b, ',')
		b = jsonkit.AppendString(b, k2)
		b = append(b, ':')
		b = jsonkit.AppendString(b, v2)
	}
	// The one shared copy (shareIdentifier): b is only read by it.
	return shareIdentifier(jsonkit.BytesView(append(b, '}')))
}

// shareIdentifier returns the one copy of id that every stream on it
// shares: a session keeps its identifier for as long as it is subscribed,
// and an idle stream should cost no more than a WebSocket (whose
// identifier is part of its decoded command). unique's table holds an
// entry only while something uses it, so a client naming many channels
// leaves nothing behind.
func shareIdentifier(id string) string { return unique.Make(id).Value() }

// postCommands reads a POST body: JSON lines, each an Action Cable command
// run as a subscribe (whatever its command field says, as the reference
// does); blank lines are skipped. A line that is not a command fails the
// whole request.
func postCommands(body []byte) ([]*encoders.Message, error) {
	var out []*encoders.Message
	for len(body) > 0 {
		var line []byte
		line, body, _ = bytes.Cut(body, []byte("\n"))
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if len(out) == MaxCommands {
			return nil, errTooManyLines
		}
		m := &encoders.Message{}
		if err := jsonEnc.Decode(line, m); err != nil {
			return nil, fmt.Errorf("failed to parse command: %w", err)
		}
		m.Command = "subscribe"
		m.Identifier = shareIdentifier(m.Identifier)
		out = append(out, m)
	}
	return out, nil
}

// rawParam reports ?raw=1|true|t|y (any case): only data events are sent.
func rawParam(q query) bool {
	switch strings.ToLower(q.Get(paramRaw)) {
	case "1", "true", "t", "y":
		return true
	}
	return false
}
