package graphql

import (
	"github.com/densecable/densecable/encoders"
	"github.com/densecable/densecable/encoders/jsonkit"
)

// codec is the protocol's encoders.Encoder: fanout renders broadcasts with
// it, once per (operation, sub-protocol), as next/data messages.
type codec struct{ p *Protocol }

var _ encoders.Encoder = (*codec)(nil)

func (c *codec) ID() string                                 { return c.p.Name() }
func (c *codec) FrameType() encoders.FrameType              { return encoders.TextFrame }
func (c *codec) Decode(b []byte, m *encoders.Message) error { return c.p.decode(b, m) }

// AppendReply renders a broadcast to an operation's stream ({result, more}
// → next/data, more:false without a result → complete) and the core's
// pong; anything else is not GraphQL's and renders nothing.
func (c *codec) AppendReply(dst []byte, r *encoders.Reply) ([]byte, error) {
	switch {
	case r.Type == "pong":
		if c.p.legacy {
			return dst, nil
		}
		return append(dst, `{"type":"pong"}`...), nil
	case r.Type == "" && r.Identifier != "" && r.Message != nil:
		id := operationID(r.Identifier)
		if id == "" {
			return dst, nil
		}
		res, err := parseResult(r.Message)
		if err != nil {
			return dst, nil // not a GraphQL result: not for these clients
		}
		switch {
		case res.shown():
			return c.appendNext(dst, id, res.result), nil
		case !res.more:
			return c.appendComplete(dst, id), nil
		}
	}
	return dst, nil
}

// AppendDisconnect: legacy clients hear connection_error; graphql-ws ones
// only the close code.
func (c *codec) AppendDisconnect(dst []byte, reason string, _ bool) ([]byte, error) {
	if !c.p.legacy {
		return dst, nil
	}
	dst = append(dst, `{"type":"connection_error","payload":{"message":`...)
	dst = jsonkit.AppendString(dst, reason)
	return append(dst, `}}`...), nil
}

func (c *codec) AppendPing(dst []byte, _ int64) ([]byte, error) {
	if c.p.legacy {
		return append(dst, `{"type":"ka"}`...), nil
	}
	return append(dst, `{"type":"ping"}`...), nil
}

// AppendTransmission: transmissions go through Protocol.Transmit, which
// knows their subscription.
func (c *codec) AppendTransmission(dst []byte, _ string) ([]byte, error) { return dst, nil }

func (c *codec) appendNext(dst []byte, id string, payload []byte) []byte {
	dst = append(dst, `{"id":`...)
	dst = jsonkit.AppendString(dst, id)
	if c.p.legacy {
		dst = append(dst, `,"type":"data","payload":`...)
	} else {
		dst = append(dst, `,"type":"next","payload":`...)
	}
	dst = append(dst, payload...)
	return append(dst, '}')
}

func (c *codec) appendComplete(dst []byte, id string) []byte {
	dst = append(dst, `{"id":`...)
	dst = jsonkit.AppendString(dst, id)
	return append(dst, `,"type":"complete"}`...)
}

// appendError is an operation's error (id "" for a connection-level one,
// legacy only): graphql-ws's payload is a list of GraphQL errors, the
// legacy protocol's one error object.
func (c *codec) appendError(dst []byte, id, message string) []byte {
	dst = append(dst, '{')
	if id != "" {
		dst = append(dst, `"id":`...)
		dst = jsonkit.AppendString(dst, id)
		dst = append(dst, ',')
	}
	dst = append(dst, `"type":"error","payload":`...)
	if !c.p.legacy {
		dst = append(dst, '[')
	}
	dst = append(dst, `{"message":`...)
	dst = jsonkit.AppendString(dst, message)
	dst = append(dst, '}')
	if !c.p.legacy {
		dst = append(dst, ']')
	}
	return append(dst, '}')
}
