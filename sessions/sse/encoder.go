// Package sse is the Server-Sent Events transport (--sse): a GET or POST
// request to --sse_path becomes a session whose output is a stream of SSE
// events on a response held by the event loop. It holds the event
// rendering (Encoder), the protocol the core speaks through (Protocol), the
// transport that keeps output until the response's status is known
// (Transport), the request → subscribe commands translation (request.go)
// and the request handler (Handler).
package sse

import (
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/densecable/densecable/encoders"
	"github.com/densecable/densecable/encoders/jsonkit"
)

// retryNoReconnect is the retry field sent with a disconnect that says not
// to reconnect: a year, so that EventSource effectively stays away.
const retryNoReconnect = "31536000000"

// Encoder renders the core's replies as complete SSE events (each ends
// with the blank line). Unwrap (GET requests) sends only the message of a
// data reply; otherwise the full Action Cable JSON is the data. It is an
// encoders.Encoder so that fanout renders a broadcast once per variant and
// shares the bytes between every SSE subscriber of that variant.
type Encoder struct {
	unwrap bool
}

var jsonEnc = encoders.NewJSON()

var errNoInput = errors.New("sse: clients send no messages")

func (e *Encoder) ID() string {
	if e.unwrap {
		return "sse"
	}
	return "sse_full"
}

func (*Encoder) FrameType() encoders.FrameType { return encoders.TextFrame }

// Decode refuses: an SSE client has no way to send a message.
func (*Encoder) Decode([]byte, *encoders.Message) error { return errNoInput }

func (e *Encoder) AppendReply(dst []byte, r *encoders.Reply) ([]byte, error) {
	// One allocation for the usual event (welcome, confirmation, pong),
	// not one per field appended to a nil dst: the fields, the JSON keys,
	// an identifier's escaped quotes.
	n := 48 + 2*len(r.Type) + len(r.Identifier) + len(r.Identifier)/4 + len(r.Message) + len(r.Reason) + len(r.Sid)
	dst = slices.Grow(dst, n+idFieldSize(r.StreamID, r.Epoch))
	if r.Type != "" {
		dst = appendEvent(dst, r.Type)
	}
	if r.Type == "" && e.unwrap && len(r.Message) > 0 {
		dst = appendData(dst, r.Message)
	} else {
		start := len(dst)
		dst = append(dst, "data: "...)
		dst, _ = jsonEnc.AppendReply(dst, r)
		if strings.ContainsAny(string(dst[start:]), "\r\n") {
			// A broadcast's JSON may keep the publisher's line breaks.
			text := string(dst[start+len("data: "):])
			dst = appendDataLines(dst[:start], text)
		}
	}
	dst = appendID(dst, r.Offset, r.Epoch, r.StreamID)
	return append(dst, "\n\n"...), nil
}

func (*Encoder) AppendDisconnect(dst []byte, reason string, reconnect bool) ([]byte, error) {
	dst = appendEvent(dst, "disconnect")
	dst = append(dst, "data: "...)
	dst, _ = jsonEnc.AppendDisconnect(dst, reason, reconnect)
	if !reconnect {
		dst = append(dst, "\nretry: "+retryNoReconnect...)
	}
	return append(dst, "\n\n"...), nil
}

func (*Encoder) AppendPing(dst []byte, ts int64) ([]byte, error) {
	dst = appendEvent(dst, "ping")
	dst = append(dst, "data: "...)
	dst, _ = jsonEnc.AppendPing(dst, ts)
	return append(dst, "\n\n"...), nil
}

// AppendTransmission renders an application transmission (JSON text): its
// type names the event, and for GET a data transmission sends its message
// only. Anything but a JSON object is refused (the reference drops it).
func (e *Encoder) AppendTransmission(dst []byte, msg string) ([]byte, error) {
	t, err := parseTransmission(msg)
	if err != nil {
		return dst, err
	}
	data := len(msg)
	if t.typ == "" && e.unwrap && t.message != "" {
		data = len(t.message)
	}
	dst = slices.Grow(dst, 24+len(t.typ)+data+idFieldSize(t.stream, t.epoch))
	if t.typ != "" {
		dst = appendEvent(dst, t.typ)
	}
	if t.typ == "" && e.unwrap && t.message != "" {
		dst = appendData(dst, jsonkit.StringBytes(t.message))
	} else {
		dst = appendDataLines(dst, msg)
	}
	dst = appendID(dst, t.offset, t.epoch, t.stream)
	return append(dst, "\n\n"...), nil
}

// idFieldSize is room for an id field (appendID) when an event's buffer
// is grown once: sized close to the event, as a buffer's size class is
// garbage when the frame is copied.
func idFieldSize(stream, epoch string) int {
	if stream == "" {
		return 0
	}
	return 32 + len(stream) + len(epoch)
}

// transmission is what the SSE rendering needs from an application's
// transmission.
type transmission struct {
	typ     string
	message string // the raw JSON value of "message", "" when absent
	offset  uint64
	epoch   string
	stream  string
}

var errNotObject = errors.New("sse: transmission is not a JSON object")

func parseTransmission(msg string) (transmission, error) {
	var t transmission
	b := jsonkit.StringBytes(msg) // read only
	i := jsonkit.SkipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return t, errNotObject
	}
	end, err := jsonkit.EachMember(b, i, func(key jsonkit.Str, v int) (int, error) {
		vend, err := jsonkit.SkipValue(b, v, 0)
		if err != nil {
			return vend, err
		}
		str := func() string {
			if b[v] != '"' {
				return ""
			}
			s, err := jsonkit.ScanString(b, v)
			if err != nil {
				return ""
			}
			return jsonkit.DecodeString(b, s)
		}
		// Keys match as encoding/json matches them (the reference decodes
		// the transmission with it): unescaped, case-insensitively.
		k := jsonkit.BytesView(key.Raw(b))
		if key.Escaped() {
			k = jsonkit.DecodeString(b, key)
		}
		switch {
		case strings.EqualFold(k, "type"):
			t.typ = str()
		case strings.EqualFold(k, "message"):
			t.message = msg[v:vend]
		case strings.EqualFold(k, "epoch"):
			t.epoch = str()
		case strings.EqualFold(k, "stream_id"):
			t.stream = str()
		case strings.EqualFold(k, "offset"):
			if n, err := strconv.ParseUint(msg[v:vend], 10, 64); err == nil {
				t.offset = n
			}
		}
		return vend, nil
	})
	if err != nil {
		return t, err
	}
	if jsonkit.SkipSpace(b, end) != len(b) {
		return t, errNotObject
	}
	return t, nil
}

// appendEvent writes the event field; a type with a line break (from an
// application or publisher) is cut there so that it cannot add fields.
func appendEvent(dst []byte, typ string) []byte {
	if i := strings.IndexAny(typ, "\r\n"); i >= 0 {
		typ = typ[:i]
	}
	dst = append(dst, "event: "...)
	dst = append(dst, typ...)
	return append(dst, '\n')
}

// appendData writes a message value as data: a JSON string is sent as its
// text (not quoted), anything else as JSON.
func appendData(dst []byte, message []byte) []byte {
	if len(message) > 0 && message[0] == '"' {
		if s, err := jsonkit.ScanString(message, 0); err == nil && s.End == len(message) {
			return appendDataLines(dst, jsonkit.DecodeString(message, s))
		}
	}
	return appendDataLines(dst, string(message))
}

// appendDataLines writes text as one data field per line: CRLF, CR and LF
// all end a line in SSE, and EventSource joins the fields with LF again.
func appendDataLines(dst []byte, text string) []byte {
	// Grown once for the common case (no line break): appending byte by
	// byte to a nil dst reallocated it five or six times per event, most of
	// an SSE stream's garbage at its start (welcome, confirmation).
	dst = slices.Grow(dst, len("data: ")+len(text))
	dst = append(dst, "data: "...)
	for {
		i := strings.IndexAny(text, "\r\n")
		if i < 0 {
			return append(dst, text...)
		}
		dst = append(dst, text[:i]...)
		if text[i] == '\r' && i+1 < len(text) && text[i+1] == '\n' {
			i++
		}
		dst = append(dst, "\ndata: "...)
		text = text[i+1:]
	}
}

// appendID writes the id field (offset/epoch/stream) of a message that has
// a position in a stream; an epoch or stream with a line break gets none.
func appendID(dst []byte, offset uint64, epoch, stream string) []byte {
	if offset == 0 || epoch == "" || stream == "" || strings.ContainsAny(epoch, "\r\n") || strings.ContainsAny(stream, "\r\n") {
		return dst
	}
	dst = append(dst, "\nid: "...)
	dst = strconv.AppendUint(dst, offset, 10)
	dst = append(dst, '/')
	dst = append(dst, epoch...)
	dst = append(dst, '/')
	return append(dst, stream...)
}
