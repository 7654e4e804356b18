package ocpp

import (
	"encoding/hex"
	"math/rand/v2"
	"strconv"
	"sync/atomic"

	"github.com/densecable/densecable/encoders/jsonkit"
	"github.com/densecable/densecable/sessions/protocol"
)

// state is one charge point's: touched on the session's worker only,
// except due (read by the core's pinger). Small: idle stations pay for it.
type state struct {
	// identifier is the channel subscription after a BootNotification
	// ("" before: calls are refused).
	identifier string
	// out is the server call waiting for the station's answer (OCPP-J
	// allows one at a time); queue holds the next ones (MaxPendingCalls).
	out   *serverCall
	queue []*serverCall
	// due is the earliest deadline of out and queue (Unix ns, 0 = none).
	due atomic.Int64
}

// serverCall is a command of the application sent, or to be sent, to the
// station as a CALL.
type serverCall struct {
	id, action string
	payload    []byte
	deadline   int64
}

// NewState implements protocol.Stateful.
func (p *Protocol) NewState() any { return &state{} }

// Handle implements protocol.Driver: one frame from the station.
func (p *Protocol) Handle(st any, m *protocol.Command, s protocol.Session) {
	c := st.(*state)
	f, ferr := ParseFrame(m.RawData)
	if ferr != nil {
		s.Debug("malformed OCPP-J message", "error", ferr.Error())
		if ferr.Answer {
			s.Send(AppendError(nil, ferr.ID, ferr.Code, ferr.Msg, nil))
		}
		return
	}
	switch f.Type {
	case CallResult:
		p.answered(c, &f, s)
		return
	case CallError:
		p.answered(c, &f, s)
		return
	}
	switch {
	case !validAction(f.Action):
		s.Debug("unknown OCPP action", "action", f.Action)
		s.Send(AppendError(nil, f.ID, ErrNotImplemented, "unknown action", nil))
	case f.Action == "BootNotification":
		p.boot(c, &f, s)
	case c.identifier == "":
		s.Debug("OCPP call before BootNotification", "action", f.Action)
		s.Send(AppendError(nil, f.ID, ErrSecurity, "BootNotification first", nil))
	case f.Action == "Heartbeat":
		s.Send(AppendResult(nil, f.ID, p.timeOnly()))
	default:
		p.perform(c, &f, s, []byte(`{"status":"Accepted"}`))
	}
}

// boot connects the station (once), subscribes it under its serial number
// and performs boot_notification.
func (p *Protocol) boot(c *state, f *Frame, s protocol.Session) {
	if !s.Connect() {
		return // refused: the core closes the connection
	}
	sn := stringMember(f.Payload, "meterSerialNumber")
	if sn == "" {
		sn = p.stationID(s.URL())
	}
	id := identifier(sn)
	if !s.Subscribe(id) {
		s.Debug("OCPP station's subscription rejected", "sn", sn)
		s.Send(AppendResult(nil, f.ID, p.bootAnswer("Rejected")))
		return
	}
	c.identifier = id
	p.perform(c, f, s, p.bootAnswer("Accepted"))
}

// bootAnswer is a BootNotification.conf: status, interval, currentTime.
func (p *Protocol) bootAnswer(status string) []byte {
	b := append([]byte(`{"status":`), jsonkit.AppendString(nil, status)...)
	b = strconv.AppendInt(append(b, `,"interval":`...), HeartbeatInterval, 10)
	b = append(append(b, `,"currentTime":"`...), timestamp(p.now())...)
	return append(b, `"}`...)
}

// timeOnly is a Heartbeat.conf.
func (p *Protocol) timeOnly() []byte {
	return append(append([]byte(`{"currentTime":"`), timestamp(p.now())...), `"}`...)
}

// perform hands a station's call to its channel action, then acknowledges
// it with ack unless the application sent an Ack for it; commands the
// application transmits become server calls.
func (p *Protocol) perform(c *state, f *Frame, s protocol.Session, ack []byte) {
	action := "receive"
	if p.granular {
		action = snake(f.Action)
	}
	data := actionData(action, f.ID, f.Action, f.Payload)
	txs, ok := s.Perform(c.identifier, string(data))
	if !ok {
		s.Send(AppendError(nil, f.ID, ErrInternal, "the application failed", nil))
		return
	}
	acked := false
	for _, t := range txs {
		cmd, ok := parseCommand([]byte(t))
		switch {
		case !ok || cmd.command == "":
		case cmd.command == "Ack":
			acked = acked || cmd.id == f.ID
		default:
			p.call(c, cmd, s)
		}
	}
	if !acked {
		s.Send(AppendResult(nil, f.ID, ack))
	}
}

// actionData is Action Cable perform data:
// {"action":..,"id":..,"command":..,"payload":..}.
func actionData(action, id, command string, payload []byte) []byte {
	b := append([]byte(`{"action":`), jsonkit.AppendString(nil, action)...)
	b = jsonkit.AppendString(append(b, `,"id":`...), id)
	b = jsonkit.AppendString(append(b, `,"command":`...), command)
	return append(append(append(b, `,"payload":`...), orEmpty(payload)...), '}')
}

// Deliver implements protocol.Driver: a command broadcast to the
// station's stream ({"command":..,"id":..,"payload":..}).
func (p *Protocol) Deliver(st any, msg []byte, s protocol.Session) {
	cmd, ok := parseCommand(msg)
	if !ok || !validAction(cmd.command) || cmd.command == "Ack" {
		s.Debug("OCPP broadcast is not a command", "data", string(msg))
		return
	}
	p.call(st.(*state), cmd, s)
}

// call sends a server call, or queues it behind the one in flight.
func (p *Protocol) call(c *state, cmd command, s protocol.Session) {
	if cmd.id == "" {
		cmd.id = newCallID()
	}
	sc := &serverCall{id: cmd.id, action: cmd.command, payload: cmd.payload,
		deadline: p.now().Add(CallTimeout).UnixNano()}
	switch {
	case c.out == nil:
		p.send(c, sc, s)
	case len(c.queue) >= MaxPendingCalls:
		s.Debug("OCPP server calls queue full", "id", sc.id, "command", sc.action)
		p.failed(c, sc, "Overflow", "too many calls waiting for the station", s)
	default:
		c.queue = append(c.queue, sc)
		c.setDue()
	}
}

func (p *Protocol) send(c *state, sc *serverCall, s protocol.Session) {
	sc.deadline = p.now().Add(CallTimeout).UnixNano()
	c.out = sc
	c.setDue()
	s.Send(AppendCall(nil, sc.id, sc.action, sc.payload))
}

// next sends the first queued call, if any.
func (p *Protocol) next(c *state, s protocol.Session) {
	c.out = nil
	if len(c.queue) > 0 {
		sc := c.queue[0]
		c.queue[0] = nil
		c.queue = c.queue[1:]
		if len(c.queue) == 0 {
			c.queue = nil
		}
		p.send(c, sc, s)
		return
	}
	c.setDue()
}

// answered maps the station's CALLRESULT / CALLERROR for the call in
// flight to the ack / error action.
func (p *Protocol) answered(c *state, f *Frame, s protocol.Session) {
	if c.out == nil || c.out.id != f.ID || c.identifier == "" {
		s.Debug("OCPP answer to no call in flight", "id", f.ID)
		return
	}
	sc := c.out
	if f.Type == CallResult {
		s.Perform(c.identifier, string(actionData("ack", sc.id, sc.action, f.Payload)))
	} else {
		s.Perform(c.identifier, string(errorData(sc, f.Code, f.Description, f.Payload)))
	}
	p.next(c, s)
}

// failed reports a server call that got no answer to the error action.
func (p *Protocol) failed(c *state, sc *serverCall, code, msg string, s protocol.Session) {
	if c.identifier != "" {
		s.Perform(c.identifier, string(errorData(sc, code, msg, nil)))
	}
}

// errorData is the error action's data: id, command, code, message, payload.
func errorData(sc *serverCall, code, msg string, details []byte) []byte {
	b := actionData("error", sc.id, sc.action, details)
	b = b[:len(b)-1]
	b = jsonkit.AppendString(append(b, `,"code":`...), code)
	b = jsonkit.AppendString(append(b, `,"message":`...), msg)
	return append(b, '}')
}

// setDue publishes the earliest deadline for Due.
func (c *state) setDue() {
	var d int64
	if c.out != nil {
		d = c.out.deadline
	}
	for _, q := range c.queue {
		if d == 0 || q.deadline < d {
			d = q.deadline
		}
	}
	c.due.Store(d)
}

// Due implements protocol.Driver (the core's pinger asks).
func (p *Protocol) Due(st any, now int64) bool {
	d := st.(*state).due.Load()
	return d != 0 && d <= now
}

// Tick implements protocol.Driver: calls past their deadline go to the
// error action as "Timeout"; the next queued call goes out.
func (p *Protocol) Tick(st any, now int64, s protocol.Session) {
	c := st.(*state)
	kept := c.queue[:0]
	var expired []*serverCall
	for _, q := range c.queue {
		if q.deadline <= now {
			expired = append(expired, q)
		} else {
			kept = append(kept, q)
		}
	}
	clear(c.queue[len(kept):])
	c.queue = kept
	if len(c.queue) == 0 {
		c.queue = nil
	}
	if c.out != nil && c.out.deadline <= now {
		expired = append(expired, c.out)
		p.next(c, s)
	} else {
		c.setDue()
	}
	for _, sc := range expired {
		s.Debug("OCPP server call timed out", "id", sc.id, "command", sc.action)
		p.failed(c, sc, "Timeout", "no answer from the station", s)
	}
}

// newCallID is the id of a broadcast command that has none.
func newCallID() string {
	var b [8]byte
	v := rand.Uint64()
	for i := range b {
		b[i] = byte(v >> (8 * i))
	}
	return hex.EncodeToString(b[:])
}
