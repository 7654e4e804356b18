package cableproto

// GraphQL is the graphql-transport-ws protocol at densecable's
// --graphql_path, for measuring idle GraphQL subscriptions: the client
// says connection_init after the upgrade (Greeter), connection_ack counts
// as the welcome, "subscribe" starts a postCreated subscription (operation
// "s") followed by a hello query (operation "p", Prober) whose complete
// counts as the confirmation: the server handles a connection's operations
// in order, so the subscription is in place by then. Only idle and connect
// scenarios make sense with it.
type GraphQL struct{}

func (GraphQL) Name() string        { return "graphql" }
func (GraphQL) Subprotocol() string { return "graphql-transport-ws" }
func (GraphQL) Binary() bool        { return false }

// Greeter is a codec whose client speaks first after the upgrade.
type Greeter interface {
	AppendHello(dst []byte) []byte
}

// Prober is a codec whose subscriptions are not confirmed: after the
// subscribe command the client sends the probe, whose answer
// ParseReply reports as KindConfirm.
type Prober interface {
	AppendProbe(dst []byte) []byte
}

func (GraphQL) AppendHello(dst []byte) []byte {
	return append(dst, `{"type":"connection_init","payload":{"token":"bench"}}`...)
}

func (GraphQL) AppendProbe(dst []byte) []byte {
	return append(dst, `{"id":"p","type":"subscribe","payload":{"query":"query { hello }"}}`...)
}

// AppendCommand: subscribe is the postCreated subscription; other commands
// have no GraphQL meaning here and send a ping.
func (GraphQL) AppendCommand(dst []byte, command, _, _ string) []byte {
	if command == "subscribe" {
		return append(dst, `{"id":"s","type":"subscribe","payload":{"query":"subscription { postCreated { title } }"}}`...)
	}
	return append(dst, `{"type":"ping"}`...)
}

func (GraphQL) ParseReply(b []byte, r *Reply) error {
	*r = Reply{}
	var typ, id []byte
	err := eachJSONField(b, func(key, val []byte) error {
		switch string(key) {
		case "type":
			typ, _ = jsonPlainString(val)
		case "id":
			id, _ = jsonPlainString(val)
		}
		return nil
	})
	if err != nil {
		return err
	}
	switch string(typ) {
	case "connection_ack":
		r.Kind = KindWelcome
	case "ping":
		r.Kind = KindPing
	case "complete":
		if string(id) == "p" {
			r.Kind = KindConfirm
		} else {
			r.Kind = KindOther
		}
	case "error":
		r.Kind = KindReject
	case "next":
		r.Kind = KindMessage
	default:
		r.Kind = KindOther
	}
	return nil
}
