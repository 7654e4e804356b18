package encoders

import "fmt"

// Client commands in msgpack are maps with the JSON protocol's keys:
// command, identifier, data (a string, or any value, which is handed on as
// JSON in RawData), history {since, streams: {name: {epoch, offset}}} and
// presence {id, info}. Unknown keys are skipped; nil means absent; a value of
// the wrong type is an error. Strings are made valid UTF-8 the way the JSON
// decoder does it.

type mpDecoder struct {
	r mpReader
	a arena
}

func decodeMsgpackCommand(b []byte, m *Message) error {
	m.Reset()
	d := mpDecoder{r: mpReader{b: b}}
	n, err := d.r.mapLen("command")
	if err != nil {
		return err
	}
	d.a = newArena(len(b))
	for k := 0; k < n; k++ {
		key, err := d.r.strBytes("map key")
		if err != nil {
			return err
		}
		switch string(key) {
		case "command":
			err = d.command(m)
		case "identifier":
			err = d.str("identifier", &m.Identifier)
		case "data":
			err = d.data(m)
		case "history":
			err = d.history(m)
		case "presence":
			err = d.presence(m)
		default:
			err = d.r.skip(1)
		}
		if err != nil {
			return err
		}
	}
	if d.r.i != len(b) {
		return fmt.Errorf("msgpack: %d trailing bytes after the command", len(b)-d.r.i)
	}
	return nil
}

// str reads a string into *dst (nil keeps it).
func (d *mpDecoder) str(field string, dst *string) error {
	if d.r.isNil() {
		return nil
	}
	s, err := d.r.strBytes(field)
	if err != nil {
		return err
	}
	*dst = d.a.copyValidString(s)
	return nil
}

func (d *mpDecoder) command(m *Message) error {
	if d.r.isNil() {
		return nil
	}
	s, err := d.r.strBytes("command")
	if err != nil {
		return err
	}
	m.Command = internCommand(s, &d.a)
	return nil
}

func (d *mpDecoder) data(m *Message) error {
	m.Data, m.DataIsString, m.RawData = "", false, nil
	if d.r.isNil() {
		return nil
	}
	c, err := d.r.peek()
	if err != nil {
		return err
	}
	if c >= mpFixStrLow && c <= mpFixStrHigh || c == mpStr8 || c == mpStr16 || c == mpStr32 {
		m.DataIsString = true
		return d.str("data", &m.Data)
	}
	return d.jsonValue(&m.RawData)
}

// jsonValue converts the next value to JSON text in the arena.
func (d *mpDecoder) jsonValue(dst *[]byte) error {
	mark := d.a.mark()
	var err error
	if d.a.buf, err = d.r.appendJSONValue(d.a.buf, 1); err != nil {
		return err
	}
	*dst = d.a.bytesFrom(mark)
	return nil
}

func (d *mpDecoder) history(m *Message) error {
	if d.r.isNil() {
		m.History = nil
		return nil
	}
	n, err := d.r.mapLen("history")
	if err != nil {
		return err
	}
	if m.History == nil {
		m.History = &HistoryRequest{}
	}
	h := m.History
	for k := 0; k < n; k++ {
		key, err := d.r.strBytes("history key")
		if err != nil {
			return err
		}
		switch string(key) {
		case "since":
			if !d.r.isNil() {
				h.Since, err = d.r.int64Value("since")
			}
		case "streams":
			err = d.streams(h)
		default:
			err = d.r.skip(2)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (d *mpDecoder) streams(h *HistoryRequest) error {
	if d.r.isNil() {
		h.Streams = nil
		return nil
	}
	n, err := d.r.mapLen("streams")
	if err != nil {
		return err
	}
	if h.Streams == nil {
		h.Streams = make(map[string]StreamPosition, min(n, 16))
	}
	for k := 0; k < n; k++ {
		key, err := d.r.strBytes("stream name")
		if err != nil {
			return err
		}
		name := d.a.copyValidString(key)
		var pos StreamPosition
		if err := d.position(&pos); err != nil {
			return err
		}
		h.Streams[name] = pos
	}
	return nil
}

func (d *mpDecoder) position(pos *StreamPosition) error {
	if d.r.isNil() {
		return nil
	}
	n, err := d.r.mapLen("stream position")
	if err != nil {
		return err
	}
	for k := 0; k < n; k++ {
		key, err := d.r.strBytes("stream position key")
		if err != nil {
			return err
		}
		switch string(key) {
		case "epoch":
			err = d.str("epoch", &pos.Epoch)
		case "offset":
			if !d.r.isNil() {
				pos.Offset, err = d.r.uint64Value("offset")
			}
		default:
			err = d.r.skip(3)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (d *mpDecoder) presence(m *Message) error {
	if d.r.isNil() {
		m.Presence = nil
		return nil
	}
	n, err := d.r.mapLen("presence")
	if err != nil {
		return err
	}
	if m.Presence == nil {
		m.Presence = &PresenceRequest{}
	}
	p := m.Presence
	for k := 0; k < n; k++ {
		key, err := d.r.strBytes("presence key")
		if err != nil {
			return err
		}
		switch string(key) {
		case "id":
			err = d.str("id", &p.ID)
		case "info":
			if d.r.isNil() {
				p.Info = nil
			} else {
				err = d.jsonValue(&p.Info)
			}
		default:
			err = d.r.skip(2)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
