package sessions

import (
	"github.com/densecable/densecable/encoders"
	"github.com/densecable/densecable/sessions/protocol"
)

// driven is a session as a protocol.Driver sees it (OCPP): the calls it
// makes from Handle, Deliver and Tick, all on the session's worker. A
// conversion of *Session, so handing it out allocates nothing.
type driven Session

var _ protocol.Session = (*driven)(nil)

func (d *driven) s() *Session { return (*Session)(d) }

func (d *driven) Connect() bool {
	s := d.s()
	if !s.connected && !s.authTried {
		if _, timed := s.wire.proto.(protocol.HandshakeTimer); timed && !s.awaitingHandshake.CompareAndSwap(true, false) {
			return false // the deadline passed first: the session is closing
		}
		s.authTried = true
		s.node.connect(s, nil)
	}
	return s.connected
}

func (d *driven) Subscribe(identifier string) bool {
	s := d.s()
	if s.channels.get(identifier) == nil {
		s.node.subscribe(s, &encoders.Message{Command: "subscribe", Identifier: identifier})
	}
	return s.channels.get(identifier) != nil
}

func (d *driven) Perform(identifier, data string) ([]string, bool) {
	s := d.s()
	res := s.node.perform(s, &encoders.Message{Command: "message", Identifier: identifier, Data: data, DataIsString: true})
	return res.GetTransmissions(), res != nil
}

func (d *driven) Send(payload []byte) { d.s().sendPayload(payload) }

func (d *driven) URL() string { return d.s().url }

func (d *driven) Debug(msg string, args ...any) {
	d.s().node.log.Debug(msg, append([]any{"sid", d.s().sid}, args...)...)
}

// deliver hands a broadcast to the session's Driver on its worker, counted
// against the inbox bounds like a command: a client that does not take
// its broadcasts as fast as they come is cut off as too slow.
func (s *Session) deliver(frame []byte) {
	if s.closed.Load() {
		return
	}
	if !s.push(task{kind: taskBroadcast, frame: frame, size: len(frame)}) {
		s.writeFailed(errInboxFull{})
	}
}

// errInboxFull is a TooSlow error: the driver's inbox is full.
type errInboxFull struct{}

func (errInboxFull) Error() string { return "inbox full" }
func (errInboxFull) TooSlow() bool { return true }
