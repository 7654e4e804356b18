package pubsub

import (
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/densecable/densecable/broker"
)

// AppendPublication appends p as the JSON broker.Parse reads back:
// {"stream":..,"data":..,"meta":{..},"epoch":..,"offset":..}, leaving out
// empty meta fields, an empty epoch and a zero offset (anycable-go's
// StreamMessage shape).
func AppendPublication(dst []byte, p *broker.Publication) []byte {
	dst = append(dst, `{"stream":`...)
	dst = appendString(dst, p.Stream)
	dst = append(dst, `,"data":`...)
	dst = appendString(dst, p.Data)
	if m := p.Meta; m != (broker.Meta{}) {
		dst = append(dst, `,"meta":{`...)
		sep := false
		if m.ExcludeSocket != "" {
			dst = append(dst, `"exclude_socket":`...)
			dst = appendString(dst, m.ExcludeSocket)
			sep = true
		}
		if m.BroadcastType != "" {
			if sep {
				dst = append(dst, ',')
			}
			dst = append(dst, `"broadcast_type":`...)
			dst = appendString(dst, m.BroadcastType)
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
		dst = appendString(dst, p.Epoch)
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
	dst = appendString(dst, c.Command)
	dst = append(dst, `,"payload":{"identifier":`...)
	dst = appendString(dst, c.Identifier)
	dst = append(dst, `,"reconnect":`...)
	dst = strconv.AppendBool(dst, c.Reconnect)
	return append(dst, '}', '}')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Only what JSON requires is
// escaped (quote, backslash, control characters); invalid UTF-8 becomes
// U+FFFD, as encoding/json would write it, so every reader decodes the same
// text.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
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
