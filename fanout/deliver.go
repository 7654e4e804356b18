package fanout

import (
	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/encoders"
)

// deliverer holds one gate's scratch state, reused across broadcasts so the
// encode path does not allocate beyond the frames it hands out.
type deliverer struct {
	scratch []byte
	cache   []cachedFrame
	reply   encoders.Reply
	dirty   []Subscriber // subscribers with gathered frames to flush
}

type cachedFrame struct {
	format *Format
	frame  []byte
}

// deliver hands p's frames to its subscribers: direct writes each at once
// (the subscriber's Output, else Send), else they are gathered (Queue) for
// the gate's Flush. Direct writes happen under the shard's read lock, so a
// frame is in the connection's output before an Unsubscribe returns.
func (h *Hub) deliver(d *deliverer, p *broker.Publication, direct bool) {
	sh := h.shardFor(p.Stream)
	sh.mu.RLock()
	st := sh.streams[p.Stream]
	if st == nil {
		sh.mu.RUnlock()
		return
	}
	h.stats.Broadcasts.Add(1)
	payload := encoders.BroadcastPayload(p.Data)
	sent := 0
	exclude := p.Meta.ExcludeSocket
	for _, ch := range st.subscribers().channels {
		d.reply = encoders.Reply{
			Type:       p.Meta.BroadcastType,
			Identifier: ch.identifier,
			Message:    payload,
		}
		if p.Epoch != "" {
			d.reply.StreamID = p.Stream
			d.reply.Epoch = p.Epoch
			d.reply.Offset = p.Offset
		}
		d.cache = d.cache[:0]
		// Subscribers of a channel mostly share one format: the last
		// frame is reused without a call.
		var last *Format
		var frame []byte
		for i := range ch.subs {
			e := &ch.subs[i]
			sub := e.sub
			if exclude != "" && sub.ID() == exclude {
				continue
			}
			if e.format != last {
				frame, last = d.frameFor(h, e.format), e.format
			}
			if frame == nil {
				continue
			}
			sent++
			switch {
			case !direct:
				if sub.Queue(frame) {
					d.dirty = append(d.dirty, sub)
				}
			case e.out != nil:
				if err := e.out.Write(frame); err != nil {
					sub.(Direct).OutputFailed(err)
				}
			default:
				sub.Send(frame)
			}
		}
	}
	sh.mu.RUnlock()
	h.stats.Frames.Add(uint64(sent))
}

// frameFor encodes the current reply with the format's encoder, frames it
// with its framer, once, and caches the frame for the rest of this
// identifier's subscribers.
func (d *deliverer) frameFor(h *Hub, format *Format) []byte {
	for i := range d.cache {
		if d.cache[i].format == format {
			return d.cache[i].frame
		}
	}
	enc, f := format.Encoder, format.Framer
	var err error
	d.scratch, err = enc.AppendReply(d.scratch[:0], &d.reply)
	if err != nil {
		h.log.Error("failed to encode broadcast", "encoder", enc.ID(), "error", err)
		d.cache = append(d.cache, cachedFrame{format: format})
		return nil
	}
	if len(d.scratch) == 0 {
		// The protocol has nothing to say for this broadcast (a GraphQL
		// client and a message that is not a result).
		d.cache = append(d.cache, cachedFrame{format: format})
		return nil
	}
	frame := make([]byte, 0, f.FrameSize(len(d.scratch)))
	frame = f.AppendFrame(frame, d.scratch, enc.FrameType() == encoders.BinaryFrame)
	d.cache = append(d.cache, cachedFrame{format: format, frame: frame})
	return frame
}
