package durablestreams

import (
	"errors"
	"strconv"
	"time"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/encoders"
	"github.com/densecable/densecable/encoders/jsonkit"
	"github.com/densecable/densecable/frames"
)

// cursorEpoch and cursorInterval define Stream-Cursor (CDN request
// collapsing): the number of 20-second intervals since 2024-10-09 UTC.
var cursorEpoch = time.Date(2024, 10, 9, 0, 0, 0, 0, time.UTC)

const cursorInterval = 20 * time.Second

// nextCursor is the cursor for a response; when the client's cursor is not
// behind the current interval, a value past it (with jitter) keeps the
// sequence moving, as the protocol asks.
func nextCursor(now time.Time, client string) string {
	cur := int64(now.Sub(cursorEpoch) / cursorInterval)
	if c, err := strconv.ParseInt(client, 10, 64); err == nil && c >= cur && c < 1<<62 {
		cur = c + 1 + now.UnixNano()%60
	}
	return strconv.FormatInt(cur, 10)
}

// appendBatch writes the publications' data as a JSON array. Each item is
// the canonical JSON the WebSocket clients get (encoders.BroadcastPayload:
// compact, so an SSE data line never breaks).
func appendBatch(dst []byte, batch []broker.Publication) []byte {
	dst = append(dst, '[')
	for i := range batch {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = encoders.AppendBroadcastPayload(dst, batch[i].Data)
	}
	return append(dst, ']')
}

// appendSSE writes one data event (a JSON array) and its control event.
func appendSSE(dst, array []byte, offset, cursor string) []byte {
	dst = append(dst, "event: data\ndata:"...)
	dst = append(dst, array...)
	dst = append(dst, "\n\n"...)
	return appendControl(dst, offset, cursor)
}

// appendControl writes a control event (keys sorted, no space after
// "data:", as the reference).
func appendControl(dst []byte, offset, cursor string) []byte {
	dst = append(dst, "event: control\ndata:{\"streamCursor\":"...)
	dst = jsonkit.AppendString(dst, cursor)
	dst = append(dst, ",\"streamNextOffset\":"...)
	dst = jsonkit.AppendString(dst, offset)
	return append(dst, ",\"upToDate\":true}\n\n"...)
}

var errNoInput = errors.New("durable streams are read-only")

// liveEncoder renders a broadcast for live readers; fanout encodes it once
// per encoder for every reader of the stream. Publications without a
// history position (transient: whispers, presence; or no broker) and
// replies other than data render as nothing and are skipped.
type liveEncoder struct{ sse bool }

var (
	pollEncoder = &liveEncoder{}
	sseEncoder  = &liveEncoder{sse: true}
)

func (e *liveEncoder) ID() string {
	if e.sse {
		return "ds_sse"
	}
	return "ds_poll"
}

func (*liveEncoder) FrameType() encoders.FrameType { return encoders.TextFrame }

func (*liveEncoder) Decode([]byte, *encoders.Message) error { return errNoInput }

// AppendReply: SSE readers get the event pair; long-poll readers
// "<offset>\n[<data>]" (the waiter splits it into a header and a body).
func (e *liveEncoder) AppendReply(dst []byte, r *encoders.Reply) ([]byte, error) {
	if r.Type != "" || r.Epoch == "" || r.Message == nil {
		return dst, nil
	}
	offset := formatOffset(r.Offset, r.Epoch)
	array := append(append(append(make([]byte, 0, len(r.Message)+2), '['), r.Message...), ']')
	if e.sse {
		return appendSSE(dst, array, offset, nextCursor(time.Now(), "")), nil
	}
	dst = append(dst, offset...)
	dst = append(dst, '\n')
	return append(dst, array...), nil
}

func (*liveEncoder) AppendDisconnect(dst []byte, _ string, _ bool) ([]byte, error) { return dst, nil }
func (*liveEncoder) AppendPing(dst []byte, _ int64) ([]byte, error)                { return dst, nil }
func (*liveEncoder) AppendTransmission(dst []byte, _ string) ([]byte, error)       { return dst, nil }

// framer passes the encoder's bytes through: the encoder already wrote
// the HTTP body's bytes.
var framer = frames.Unframed()
