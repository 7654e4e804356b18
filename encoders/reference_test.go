package encoders

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"unicode/utf8"

	"github.com/vmihailenco/msgpack/v5"
)

// Reference behaviour built on encoding/json, the library the reference
// server uses. Tests and fuzz targets hold the hand-written code to it.

// refBroadcastPayload is the reference's payload rule: Unmarshal into
// interface{}, Marshal again; invalid JSON or null is sent as a string.
func refBroadcastPayload(data string) []byte {
	var v any
	if err := json.Unmarshal([]byte(data), &v); err != nil || v == nil {
		b, _ := json.Marshal(data)
		return b
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// refCommand mirrors the client command struct of the reference server.
type refCommand struct {
	Command    string       `json:"command"`
	Identifier string       `json:"identifier"`
	Data       any          `json:"data"`
	History    *refHistory  `json:"history"`
	Presence   *refPresence `json:"presence"`
}

type refHistory struct {
	Since   int64             `json:"since"`
	Streams map[string]refPos `json:"streams"`
}

type refPos struct {
	Epoch  string `json:"epoch"`
	Offset uint64 `json:"offset"`
}

type refPresence struct {
	ID   string `json:"id"`
	Info any    `json:"info"`
}

// sameAsRef reports how m differs from what encoding/json decoded.
func sameAsRef(m *Message, ref *refCommand) error {
	if m.Command != ref.Command || m.Identifier != ref.Identifier {
		return fmt.Errorf("command/identifier %q/%q, reference %q/%q", m.Command, m.Identifier, ref.Command, ref.Identifier)
	}
	switch d := ref.Data.(type) {
	case nil:
		if m.DataIsString || m.Data != "" || m.RawData != nil {
			return fmt.Errorf("data %+v, reference absent", m)
		}
	case string:
		if !m.DataIsString || m.Data != d || m.RawData != nil {
			return fmt.Errorf("data %q (string=%v raw=%q), reference %q", m.Data, m.DataIsString, m.RawData, d)
		}
	default:
		if m.DataIsString || m.Data != "" {
			return fmt.Errorf("data is a string, reference %v", d)
		}
		if err := sameJSONValue(m.RawData, d); err != nil {
			return fmt.Errorf("data: %w", err)
		}
	}
	if (m.History == nil) != (ref.History == nil) {
		return fmt.Errorf("history %+v, reference %+v", m.History, ref.History)
	}
	if h := ref.History; h != nil {
		if m.History.Since != h.Since || (m.History.Streams == nil) != (h.Streams == nil) || len(m.History.Streams) != len(h.Streams) {
			return fmt.Errorf("history %+v, reference %+v", m.History, h)
		}
		for k, v := range h.Streams {
			if got, ok := m.History.Streams[k]; !ok || got != (StreamPosition{Epoch: v.Epoch, Offset: v.Offset}) {
				return fmt.Errorf("stream %q: %+v, reference %+v", k, got, v)
			}
		}
	}
	if (m.Presence == nil) != (ref.Presence == nil) {
		return fmt.Errorf("presence %+v, reference %+v", m.Presence, ref.Presence)
	}
	if p := ref.Presence; p != nil {
		if m.Presence.ID != p.ID {
			return fmt.Errorf("presence id %q, reference %q", m.Presence.ID, p.ID)
		}
		if p.Info == nil {
			if m.Presence.Info != nil {
				return fmt.Errorf("presence info %q, reference nil", m.Presence.Info)
			}
		} else if err := sameJSONValue(m.Presence.Info, p.Info); err != nil {
			return fmt.Errorf("presence info: %w", err)
		}
	}
	return nil
}

// sameJSONValue checks that raw JSON text decodes to want.
func sameJSONValue(raw []byte, want any) error {
	var got any
	if err := json.Unmarshal(raw, &got); err != nil {
		return fmt.Errorf("%q is not JSON: %w", raw, err)
	}
	if !reflect.DeepEqual(got, want) {
		return fmt.Errorf("%q decodes to %#v, want %#v", raw, got, want)
	}
	return nil
}

// checkJSONDecodeAgainstRef decodes in with both decoders and compares.
func checkJSONDecodeAgainstRef(in []byte) error {
	var ref refCommand
	refErr := json.Unmarshal(in, &ref)
	var m Message
	err := NewJSON().Decode(in, &m)
	switch {
	case refErr != nil && err == nil:
		return fmt.Errorf("accepted %q, encoding/json: %v", in, refErr)
	case refErr == nil && err != nil:
		return fmt.Errorf("rejected %q (%v), encoding/json accepts it", in, err)
	case err != nil:
		return nil
	}
	if e := sameAsRef(&m, &ref); e != nil {
		return fmt.Errorf("%q: %w", in, e)
	}
	return nil
}

// checkMsgpackAgainstRef holds an accepted msgpack command to what
// vmihailenco/msgpack reads from the same bytes: one map, nothing after it,
// and the same command, identifier and data (compared where the strings
// are valid UTF-8: the decoder repairs the others, as the JSON one does).
func checkMsgpackAgainstRef(in []byte, m *Message) error {
	rd := bytes.NewReader(in) // a ByteScanner: the decoder reads no further than it needs
	d := msgpack.NewDecoder(rd)
	n, err := d.DecodeMapLen()
	if err != nil || n < 0 {
		return fmt.Errorf("accepted % x, vmihailenco/msgpack reads no map: %v", in, err)
	}
	// Values are read raw (structure only; vmihailenco cannot build maps
	// with array keys), then decoded where a field needs the value.
	ref := map[string]any{}
	for range n {
		var key string
		if err := d.Decode(&key); err != nil {
			return fmt.Errorf("accepted % x, vmihailenco/msgpack: key: %v", in, err)
		}
		raw, err := d.DecodeRaw()
		if err != nil {
			return fmt.Errorf("accepted % x, vmihailenco/msgpack: %q: %v", in, key, err)
		}
		switch c := raw[0]; {
		case c == 0xc0:
			ref[key] = nil
		case c >= 0xa0 && c <= 0xbf || c == 0xd9 || c == 0xda || c == 0xdb:
			var s string
			if err := msgpack.Unmarshal(raw, &s); err != nil {
				return fmt.Errorf("accepted % x, vmihailenco/msgpack: %q: %v", in, key, err)
			}
			ref[key] = s
		case c >= 0xc4 && c <= 0xc6 && (key == "command" || key == "identifier"):
			// A bin value: vmihailenco reads it into a Go string field as
			// it reads a str, and so does the decoder for these fields.
			var s string
			if err := msgpack.Unmarshal(raw, &s); err != nil {
				return fmt.Errorf("accepted % x, vmihailenco/msgpack: %q: %v", in, key, err)
			}
			ref[key] = s
		default:
			ref[key] = raw
		}
	}
	if rd.Len() != 0 {
		return fmt.Errorf("accepted % x with bytes after the map", in)
	}
	for field, got := range map[string]string{"command": m.Command, "identifier": m.Identifier} {
		switch want := ref[field].(type) {
		case nil:
			if got != "" {
				return fmt.Errorf("% x: %s %q, reference absent", in, field, got)
			}
		case string:
			if utf8.ValidString(want) && got != want {
				return fmt.Errorf("% x: %s %q, reference %q", in, field, got, want)
			}
		default:
			return fmt.Errorf("% x: %s accepted, reference %T", in, field, want)
		}
	}
	switch want := ref["data"].(type) {
	case nil:
		if m.DataIsString || m.RawData != nil {
			return fmt.Errorf("% x: data %+v, reference absent", in, m)
		}
	case string:
		if !m.DataIsString || utf8.ValidString(want) && m.Data != want {
			return fmt.Errorf("% x: data %q (string=%v), reference %q", in, m.Data, m.DataIsString, want)
		}
	default:
		if m.DataIsString || !json.Valid(m.RawData) {
			return fmt.Errorf("% x: data %q (string=%v), reference %#v", in, m.RawData, m.DataIsString, want)
		}
	}
	return nil
}
