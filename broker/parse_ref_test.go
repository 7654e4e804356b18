package broker

import "encoding/json"

// refParse is the reference server's decoding (encoding/json into its
// structs, tried in the same order), plus Parse's documented choices: an
// unknown command, a missing disconnect payload and null or stream-less batch
// elements. Tests and FuzzParse compare Parse with it.
func refParse(raw []byte) ([]Publication, *RemoteCommand, bool) {
	type meta struct {
		ExcludeSocket string `json:"exclude_socket,omitempty"`
		BroadcastType string `json:"broadcast_type,omitempty"`
		Transient     bool   `json:"transient,omitempty"`
	}
	type streamMessage struct {
		Stream string `json:"stream"`
		Data   string `json:"data"`
		Meta   *meta  `json:"meta,omitempty"`
		Offset uint64
		Epoch  string
	}
	type command struct {
		Command string          `json:"command,omitempty"`
		Payload json.RawMessage `json:"payload,omitempty"`
	}
	type disconnect struct {
		Identifier string `json:"identifier"`
		Reconnect  bool   `json:"reconnect"`
	}
	toPub := func(m *streamMessage) Publication {
		p := Publication{Stream: m.Stream, Data: m.Data, Epoch: m.Epoch, Offset: m.Offset}
		if m.Meta != nil {
			p.Meta = Meta{ExcludeSocket: m.Meta.ExcludeSocket, BroadcastType: m.Meta.BroadcastType, Transient: m.Meta.Transient}
		}
		return p
	}

	var single streamMessage
	if err := json.Unmarshal(raw, &single); err == nil && single.Stream != "" {
		return []Publication{toPub(&single)}, nil, true
	}
	var batch []*streamMessage
	if err := json.Unmarshal(raw, &batch); err == nil && len(batch) > 0 && batch[0] != nil && batch[0].Stream != "" {
		var pubs []Publication
		for _, m := range batch {
			if m != nil && m.Stream != "" {
				pubs = append(pubs, toPub(m))
			}
		}
		return pubs, nil, true
	}
	var cmd command
	if err := json.Unmarshal(raw, &cmd); err != nil || cmd.Command != "disconnect" || cmd.Payload == nil {
		return nil, nil, false
	}
	var d disconnect
	if err := json.Unmarshal(cmd.Payload, &d); err != nil {
		return nil, nil, false
	}
	return nil, &RemoteCommand{Command: cmd.Command, Identifier: d.Identifier, Reconnect: d.Reconnect}, true
}
