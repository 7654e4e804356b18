package swarm

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/densecable/densecable/bench/internal/cableproto"
	"github.com/densecable/densecable/bench/internal/wsframe"
	"github.com/densecable/densecable/frames"
)

// readChunk is how much one read asks for.
const readChunk = 64 << 10

// handle reacts to readiness of one socket.
func (l *loopState) handle(s *Swarm, fd int, events uint32, now int64) {
	if fd >= len(l.byFD) || l.byFD[fd] == 0 {
		return // closed earlier in this batch
	}
	idx := int(l.byFD[fd] - 1)
	c := &l.conns[idx]
	if events&unix.EPOLLOUT != 0 {
		if c.state == stConnecting {
			l.connected(s, idx)
		} else {
			l.flush(s, idx)
		}
		if c.state == stClosed {
			return
		}
	}
	if events&(unix.EPOLLIN|unix.EPOLLHUP|unix.EPOLLERR|unix.EPOLLRDHUP) != 0 {
		l.read(s, idx, now)
	}
}

// connected runs when a connecting socket becomes writable.
func (l *loopState) connected(s *Swarm, idx int) {
	c := &l.conns[idx]
	if errno, err := unix.GetsockoptInt(int(c.fd), unix.SOL_SOCKET, unix.SO_ERROR); err != nil || errno != 0 {
		reason := "connect: "
		if err != nil {
			reason += err.Error()
		} else {
			reason += unix.Errno(errno).Error()
		}
		l.fail(s, idx, reason)
		return
	}
	l.st.Connected++
	c.state = stHandshake
	if err := unix.EpollCtl(s.epfd, unix.EPOLL_CTL_MOD, int(c.fd), &unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP, Fd: c.fd}); err != nil {
		l.fail(s, idx, "epoll_ctl: "+err.Error())
		return
	}
	key := wsframe.Key(l.seed, uint64(l.cfg.Base+idx))
	l.outBuf = wsframe.AppendRequest(l.outBuf[:0], &l.cfg.Request, key[:])
	l.write(s, idx, l.outBuf)
}

// read consumes what the socket has and processes complete frames.
func (l *loopState) read(s *Swarm, idx int, now int64) {
	c := &l.conns[idx]
	buf := l.readBuf[:0]
	ex := l.extra[int32(idx)]
	if ex != nil && len(ex.in) > 0 {
		buf = append(buf, ex.in...)
	}
	if cap(buf)-len(buf) < readChunk {
		grown := make([]byte, len(buf), len(buf)+readChunk)
		copy(grown, buf)
		buf = grown
	}
	n, err := unix.Read(int(c.fd), buf[len(buf):cap(buf)])
	if err == unix.EAGAIN || err == unix.EINTR {
		return
	}
	if err != nil {
		l.drop(s, idx, "read: "+err.Error())
		return
	}
	if n == 0 {
		l.drop(s, idx, "closed by server without close frame ("+stateName(c.state)+")")
		return
	}
	buf = buf[:len(buf)+n]
	l.st.Reads++
	used := l.process(s, idx, buf, now)
	if cap(buf) <= 4*readChunk { // keep a grown buffer unless it is huge
		l.readBuf = buf[:0]
	}
	if c.state == stClosed {
		return
	}
	rest := buf[used:]
	ex = l.extra[int32(idx)]
	switch {
	case len(rest) > 0:
		if ex == nil {
			ex = &extra{}
			l.extra[int32(idx)] = ex
		}
		ex.in = append(ex.in[:0], rest...)
	case ex != nil:
		ex.in = nil
		l.dropExtraIfEmpty(idx, ex)
	}
}

func (l *loopState) dropExtraIfEmpty(idx int, ex *extra) {
	if len(ex.in) == 0 && len(ex.out) == 0 && ex.frag == nil {
		delete(l.extra, int32(idx))
	}
}

// process parses the upgrade response (if still expected) and then frames;
// it returns how many bytes of buf it consumed.
func (l *loopState) process(s *Swarm, idx int, buf []byte, now int64) int {
	c := &l.conns[idx]
	off := 0
	if c.state == stHandshake {
		resp, n, err := wsframe.ParseResponse(buf)
		if err != nil {
			l.fail(s, idx, "upgrade: "+err.Error())
			return 0
		}
		if n == 0 {
			return 0
		}
		key := wsframe.Key(l.seed, uint64(l.cfg.Base+idx))
		if err := resp.Check(key[:], l.cfg.Request.Protocol); err != nil {
			l.fail(s, idx, "upgrade: "+err.Error())
			return 0
		}
		l.st.Upgraded++
		c.state = stWelcome
		off = n
		if g, ok := l.cfg.Codec.(cableproto.Greeter); ok {
			l.cmdBuf = g.AppendHello(l.cmdBuf[:0])
			l.send(s, idx, l.opcode(), l.cmdBuf)
		}
	}
	for c.state != stClosed {
		parse := wsframe.Parse
		if l.cfg.Deflate {
			parse = wsframe.ParseDeflate
		}
		f, n, err := parse(buf[off:], l.cfg.MaxMessage)
		if err != nil {
			l.drop(s, idx, "frame: "+err.Error())
			return off
		}
		if n == 0 {
			break
		}
		off += n
		l.frame(s, idx, f, now)
	}
	return off
}

// frame handles one frame, reassembling fragmented messages.
func (l *loopState) frame(s *Swarm, idx int, f wsframe.Frame, now int64) {
	switch f.Op {
	case wsframe.OpPing:
		l.send(s, idx, wsframe.OpPong, f.Payload)
	case wsframe.OpPong:
	case wsframe.OpClose:
		code := wsframe.CloseCode(f.Payload)
		var body [2]byte
		body[0], body[1] = byte(code>>8), byte(code)
		if code == 1005 {
			l.send(s, idx, wsframe.OpClose, nil)
		} else {
			l.send(s, idx, wsframe.OpClose, body[:])
		}
		l.drop(s, idx, "closed by server: code "+itoa(int(code)))
	case wsframe.OpText, wsframe.OpBinary, wsframe.OpContinuation:
		ex := l.extra[int32(idx)]
		if f.Op == wsframe.OpContinuation || !f.Fin {
			if ex == nil {
				ex = &extra{}
				l.extra[int32(idx)] = ex
			}
			if f.Op != wsframe.OpContinuation {
				ex.fragOp = f.Op
				ex.fragZ = f.Compressed
				ex.frag = ex.frag[:0]
			}
			if len(ex.frag)+len(f.Payload) > l.cfg.MaxMessage {
				l.drop(s, idx, "message larger than the limit")
				return
			}
			ex.frag = append(ex.frag, f.Payload...)
			if !f.Fin {
				return
			}
			msg := ex.frag
			ex.frag = nil
			l.dataMessage(s, idx, msg, ex.fragZ, now)
			return
		}
		l.dataMessage(s, idx, f.Payload, f.Compressed, now)
	}
}

// dataMessage inflates a compressed message (with the server's own,
// bounded inflater) and handles it.
func (l *loopState) dataMessage(s *Swarm, idx int, payload []byte, compressed bool, now int64) {
	if compressed {
		var err error
		if payload, err = frames.Inflate(nil, payload, l.cfg.MaxMessage); err != nil {
			l.drop(s, idx, "inflate: "+err.Error())
			return
		}
	}
	l.message(s, idx, payload, now)
}

// message handles one complete Action Cable message.
func (l *loopState) message(s *Swarm, idx int, payload []byte, now int64) {
	c := &l.conns[idx]
	var r cableproto.Reply
	if err := l.cfg.Codec.ParseReply(payload, &r); err != nil {
		l.st.BadMsgs++
		return
	}
	switch r.Kind {
	case cableproto.KindWelcome:
		if c.state == stWelcome {
			l.st.Welcomed++
			c.state = stSubscribing
			l.cmdBuf = l.cfg.Codec.AppendCommand(l.cmdBuf[:0], "subscribe", l.cfg.Identifier, "")
			l.send(s, idx, l.opcode(), l.cmdBuf)
			if p, ok := l.cfg.Codec.(cableproto.Prober); ok {
				l.cmdBuf = p.AppendProbe(l.cmdBuf[:0])
				l.send(s, idx, l.opcode(), l.cmdBuf)
			}
		}
	case cableproto.KindConfirm:
		if c.state == stSubscribing {
			c.state = stReady
			l.pending--
			l.st.Subscribed++
			l.st.Alive++
			l.st.LastReady = now
			l.st.Connect.Record(time.Duration(now - c.start))
		}
	case cableproto.KindReject:
		l.fail(s, idx, "subscription rejected")
	case cableproto.KindPing:
		l.st.Pings++
	case cableproto.KindDisconnect:
		l.st.Disconnects++
		if l.cfg.OnDisconnect != nil {
			l.cfg.OnDisconnect(l.cfg.Base+idx, payload)
		}
	case cableproto.KindMessage:
		switch r.Action {
		case cableproto.ActionBroadcast:
			l.st.Delivered++
			l.st.LastDelivery = now
			if r.SendTime > 0 {
				l.st.Delivery.Record(time.Duration(now - r.SendTime))
			}
		case cableproto.ActionEcho, cableproto.ActionBroadcastResult:
			l.st.Results++
			rtt := time.Duration(0)
			if r.SendTime > 0 {
				rtt = time.Duration(now - r.SendTime)
				l.st.Result.Record(rtt)
			}
			if l.cfg.OnResult != nil {
				l.cfg.OnResult(Result{Conn: l.cfg.Base + idx, Action: r.Action, RTT: rtt})
			}
		default:
			l.st.OtherMsgs++
		}
	default:
		l.st.OtherMsgs++
	}
}

func (l *loopState) opcode() byte {
	if l.cfg.Codec.Binary() {
		return wsframe.OpBinary
	}
	return wsframe.OpText
}

// perform sends a benchmark action on a subscribed connection.
func (l *loopState) perform(s *Swarm, idx int, action, padding string) error {
	if idx < 0 || idx >= len(l.conns) || l.conns[idx].state != stReady {
		return ErrNotReady
	}
	data := cableproto.AppendBenchData(nil, action, time.Now().UnixNano(), padding)
	l.cmdBuf = l.cfg.Codec.AppendCommand(l.cmdBuf[:0], "message", l.cfg.Identifier, string(data))
	l.send(s, idx, l.opcode(), l.cmdBuf)
	if l.conns[idx].state != stReady {
		return ErrNotReady
	}
	return nil
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}
