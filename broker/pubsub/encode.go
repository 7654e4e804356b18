package pubsub

import (
	"strconv"
	"sync"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/encoders/jsonkit"
)

// AppendPublication appends p as the JSON broker.Parse reads back (strings
// as encoding/json writes them, HTML left unescaped):
// {"stream":..,"data":..,"meta":{..},"epoch":..,"offset":..}, leaving out
// empty meta fields, an empty epoch and a zero offset (anycable-go's
// StreamMessage shape).
func AppendPublication(dst []byte, p *broker.Publication) []byte {
	dst = append(dst, `{"stream":`...)
	dst = jsonkit.AppendStringKeepHTML(dst, p.Stream)
	dst = append(dst, `,"data":`...)
	dst = jsonkit.AppendStringKeepHTML(dst, p.Data)
	if m := p.Meta; m != (broker.Meta{}) {
		dst = append(dst, `,"meta":{`...)
		sep := false
		if m.ExcludeSocket != "" {
			dst = append(dst, `"exclude_socket":`...)
			dst = jsonkit.AppendStringKeepHTML(dst, m.ExcludeSocket)
			sep = true
		}
		if m.BroadcastType != "" {
			if sep {
				dst = append(dst, ',')
			}
			dst = append(dst, `"broadcast_type":`...)
			dst = jsonkit.AppendStringKeepHTML(dst, m.BroadcastType)
			sep = true
		}
		if m.Transient {
			if sep {
				dst = append(dst, ',')
			}
			dst = append(dst, `"transient":true`...)
		}
		dst = append(dst, '}')
	}
	if p.Epoch != "" {
		dst = append(dst, `,"epoch":`...)
		dst = jsonkit.AppendStringKeepHTML(dst, p.Epoch)
	}
	if p.Offset != 0 {
		dst = append(dst, `,"offset":`...)
		dst = strconv.AppendUint(dst, p.Offset, 10)
	}
	return append(dst, '}')
}

// AppendCommand appends c as {"command":..,"payload":{"identifier":..,
// "reconnect":..}}.
func AppendCommand(dst []byte, c *broker.RemoteCommand) []byte {
	dst = append(dst, `{"command":`...)
	dst = jsonkit.AppendStringKeepHTML(dst, c.Command)
	dst = append(dst, `,"payload":{"identifier":`...)
	dst = jsonkit.AppendStringKeepHTML(dst, c.Identifier)
	dst = append(dst, `,"reconnect":`...)
	dst = strconv.AppendBool(dst, c.Reconnect)
	return append(dst, '}', '}')
}

// bufPool recycles encoding buffers: one publication is encoded per
// Broadcast, on the hot path.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if cap(*b) > 64<<10 { // let huge payloads go
		return
	}
	*b = (*b)[:0]
	bufPool.Put(b)
}
