package graphql

import (
	"github.com/densecable/densecable/encoders/jsonkit"
)

// Transmit implements protocol.Transmitter: the application's Action
// Cable messages in GraphQL terms.
//
//	welcome (connection)            → connection_ack
//	disconnect (connection, legacy) → connection_error
//	confirm_subscription            → nothing
//	reject_subscription             → error, the operation ends
//	{message: {result, more}}       → next/data when the result has data or
//	                                  errors; complete when more is false
func (p *Protocol) Transmit(st any, identifier, msg string, emit func([]byte)) (bool, error) {
	return p.transmit(st, identifier, msg, emit)
}

func (p *Protocol) transmit(st any, identifier, msg string, emit func([]byte)) (bool, error) {
	typ, message, err := parseTransmission([]byte(msg))
	if err != nil {
		return false, err
	}
	if identifier == "" {
		switch typ {
		case "welcome":
			emit([]byte(`{"type":"connection_ack"}`))
		case "disconnect":
			reason := stringMember([]byte(msg), 0, "reason")
			if reason == "" {
				reason = "unauthorized"
			}
			if b, _ := p.enc.AppendDisconnect(nil, reason, false); len(b) > 0 {
				emit(b)
			}
		}
		return false, nil
	}
	id := operationID(identifier)
	if id == "" {
		return false, nil
	}
	switch {
	case typ == "reject_subscription":
		emit(p.enc.appendError(nil, id, "Subscription rejected"))
		p.finish(st, id)
		return true, nil
	case message == nil:
		return false, nil // confirm_subscription and the like
	}
	res, err := parseResult(message)
	if err != nil {
		return false, err
	}
	if res.shown() {
		emit(p.enc.appendNext(nil, id, res.result))
	}
	if res.more {
		return false, nil
	}
	emit(p.enc.appendComplete(nil, id))
	p.finish(st, id)
	return true, nil
}

func (p *Protocol) finish(st any, id string) {
	if s, ok := st.(*state); ok {
		s.done(id)
	}
}

// parseTransmission reads an Action Cable message's type and message.
func parseTransmission(b []byte) (typ string, message []byte, err error) {
	i := jsonkit.SkipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return "", nil, errNotObject
	}
	_, err = jsonkit.EachMember(b, i, func(k jsonkit.Str, v int) (int, error) {
		end, err := jsonkit.SkipValue(b, v, 1)
		if err != nil {
			return v, err
		}
		switch jsonkit.Key(b, k) {
		case "type":
			if b[v] == '"' {
				typ, _, _ = stringAt(b, v)
			}
		case "message":
			message = b[v:end]
		}
		return end, nil
	})
	return typ, message, err
}
