package fanout

import (
	"github.com/gobwas/ws"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/encoders"
	"github.com/densecable/densecable/frames"
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
	enc   encoders.Encoder
	frame []byte
}

func (h *Hub) deliver(d *deliverer, p *broker.Publication) {
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
	for identifier, subs := range st.channels {
		d.reply = encoders.Reply{
			Type:       p.Meta.BroadcastType,
			Identifier: identifier,
			Message:    payload,
		}
		if p.Epoch != "" {
			d.reply.StreamID = p.Stream
			d.reply.Epoch = p.Epoch
			d.reply.Offset = p.Offset
		}
		d.cache = d.cache[:0]
		for sub := range subs {
			if p.Meta.ExcludeSocket != "" && sub.ID() == p.Meta.ExcludeSocket {
				continue
			}
			frame := d.frameFor(h, sub.Encoder())
			if frame == nil {
				continue
			}
			if sub.Queue(frame) {
				d.dirty = append(d.dirty, sub)
			}
			sent++
		}
	}
	sh.mu.RUnlock()
	h.stats.Frames.Add(uint64(sent))
}

// frameFor encodes the current reply for enc once and caches the frame for
// the rest of this identifier's subscribers.
func (d *deliverer) frameFor(h *Hub, enc encoders.Encoder) []byte {
	for i := range d.cache {
		if d.cache[i].enc == enc {
			return d.cache[i].frame
		}
	}
	var err error
	d.scratch, err = enc.AppendReply(d.scratch[:0], &d.reply)
	if err != nil {
		h.log.Error("failed to encode broadcast", "encoder", enc.ID(), "error", err)
		d.cache = append(d.cache, cachedFrame{enc: enc})
		return nil
	}
	op := ws.OpText
	if enc.FrameType() == encoders.BinaryFrame {
		op = ws.OpBinary
	}
	frame := make([]byte, 0, frames.FrameSize(len(d.scratch)))
	frame = frames.AppendFrame(frame, op, d.scratch)
	d.cache = append(d.cache, cachedFrame{enc: enc, frame: frame})
	return frame
}
