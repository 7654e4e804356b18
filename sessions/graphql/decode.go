package graphql

import (
	"errors"

	"github.com/densecable/densecable/encoders/jsonkit"
	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/sessions/protocol"
)

// envelope is one client message's members, as spans of the input.
type envelope struct {
	typ     string
	id      string
	hasID   bool
	payload []byte // raw JSON value; nil when absent
}

var (
	errNotObject = errors.New("message is not a JSON object")
	errBadID     = errors.New("operation id must be a non-empty string of at most 128 bytes")
	errBadType   = errors.New("type must be a string")
)

// parseEnvelope reads {"type", "id", "payload"}, keys matched as JSON.parse
// in graphql-ws matches them (escapes decoded, no case folding), and validates the rest of
// the message as JSON; other members are ignored.
func parseEnvelope(b []byte) (envelope, error) {
	var e envelope
	i := jsonkit.SkipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return e, errNotObject
	}
	end, err := jsonkit.EachMember(b, i, func(k jsonkit.Str, v int) (int, error) {
		switch jsonkit.Key(b, k) {
		case "type":
			if b[v] != '"' {
				return v, errBadType
			}
			var end int
			var err error
			e.typ, end, err = stringAt(b, v)
			return end, err
		case "id":
			if b[v] != '"' {
				return v, errBadID
			}
			id, end, err := stringAt(b, v)
			if err == nil && (id == "" || len(id) > MaxIDLength) {
				err = errBadID
			}
			e.id, e.hasID = id, true
			return end, err
		case "payload":
			end, err := jsonkit.SkipValue(b, v, 1)
			if err != nil {
				return v, err
			}
			e.payload = b[v:end]
			return end, nil
		}
		return jsonkit.SkipValue(b, v, 1)
	})
	if err != nil {
		return e, err
	}
	if jsonkit.SkipSpace(b, end) != len(b) {
		return e, jsonkit.SyntaxErrAt(end)
	}
	return e, nil
}

// decode maps a client message onto the core's commands:
//
//	connection_init → connect (RawData: the params object)
//	subscribe/start → subscribe, then perform (Then)
//	complete/stop   → unsubscribe
//	ping, pong      → ping, pong (graphql-transport-ws)
//
// Bad input is a *protocol.Refusal: close 4400 (graphql-transport-ws), an
// error message (legacy), as those protocols' servers answer it.
func (p *Protocol) decode(b []byte, m *protocol.Command) error {
	*m = protocol.Command{}
	e, err := parseEnvelope(b)
	if err != nil {
		return p.badRequest("", "Invalid message received: "+err.Error())
	}
	switch e.typ {
	case "connection_init":
		if !isObjectOrNull(e.payload) {
			return p.badRequest("", "Invalid message received: payload must be an object")
		}
		m.Command = "connect"
		if len(e.payload) > 0 && e.payload[0] == '{' {
			m.RawData = append([]byte(nil), e.payload...)
		}
		return nil
	case "subscribe", "start":
		if (e.typ == "start") != p.legacy {
			break
		}
		if !e.hasID {
			return p.badRequest("", "Invalid message received: "+errBadID.Error())
		}
		data, err := p.performData(e.payload)
		if err != nil {
			return p.badRequest(e.id, "Invalid message received: "+err.Error())
		}
		m.Command = "subscribe"
		m.Identifier = p.identifier(e.id)
		m.Then = &protocol.Command{Command: "message", Identifier: m.Identifier, Data: data, DataIsString: true}
		return nil
	case "complete", "stop":
		if (e.typ == "stop") != p.legacy {
			break
		}
		if !e.hasID {
			return p.badRequest("", "Invalid message received: "+errBadID.Error())
		}
		m.Command = "unsubscribe"
		m.Identifier = p.identifier(e.id)
		return nil
	case "ping", "pong":
		if p.legacy {
			break
		}
		m.Command = e.typ
		return nil
	case "connection_terminate":
		if !p.legacy {
			break
		}
		return &protocol.Refusal{Code: frames.CloseNormal, Reason: "connection_terminate"}
	}
	if p.legacy {
		return p.badRequest(e.id, "Invalid message type!")
	}
	return p.badRequest("", "Unexpected message of type "+e.typ+" received")
}

// badRequest: graphql-transport-ws closes with 4400; the legacy protocol
// answers with an error message and goes on.
func (p *Protocol) badRequest(id, reason string) error {
	if p.legacy {
		return &protocol.Refusal{Reply: p.enc.appendError(nil, id, reason), Reason: reason}
	}
	return &protocol.Refusal{Code: CodeBadRequest, Reason: closeReason(reason)}
}

// closeReason fits a reason in a close frame (123 bytes), on a UTF-8
// boundary.
func closeReason(s string) string {
	const max = 123
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && s[i]&0xC0 == 0x80 {
		i--
	}
	return s[:i]
}

func isObjectOrNull(v []byte) bool {
	return len(v) == 0 || v[0] == '{' || string(v) == "null"
}

// performData is the perform's data, what graphql-ruby's channel action
// reads: {"query","variables","operationName","action"} from the
// operation's payload (query required, a string).
func (p *Protocol) performData(payload []byte) (string, error) {
	if len(payload) == 0 || payload[0] != '{' {
		return "", errors.New("payload must be an object")
	}
	var query, variables, opName []byte
	_, err := jsonkit.EachMember(payload, 0, func(k jsonkit.Str, v int) (int, error) {
		end, err := jsonkit.SkipValue(payload, v, 2)
		if err != nil {
			return v, err
		}
		switch jsonkit.Key(payload, k) {
		case "query":
			query = payload[v:end]
		case "variables":
			variables = payload[v:end]
		case "operationName":
			opName = payload[v:end]
		}
		return end, nil
	})
	if err != nil {
		return "", err
	}
	if len(query) == 0 || query[0] != '"' {
		return "", errors.New("payload.query must be a string")
	}
	out := make([]byte, 0, len(query)+len(variables)+len(opName)+len(p.opts.Action)+64)
	out = append(out, `{"query":`...)
	out = append(out, query...)
	out = append(out, `,"variables":`...)
	out = appendOrNull(out, variables)
	out = append(out, `,"operationName":`...)
	out = appendOrNull(out, opName)
	out = append(out, `,"action":`...)
	out = jsonkit.AppendString(out, p.opts.Action)
	return string(append(out, '}')), nil
}

func appendOrNull(dst, v []byte) []byte {
	if len(v) == 0 {
		return append(dst, "null"...)
	}
	return append(dst, v...)
}
