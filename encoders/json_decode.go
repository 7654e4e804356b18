package encoders

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/densecable/densecable/encoders/jsonkit"
)

// Decoding of client commands in the Action Cable JSON format. The rules are
// those of encoding/json decoding into the reference server's struct: unknown
// keys are ignored, keys match case-insensitively, the last duplicate wins
// (nested objects merge), null leaves a string or number unchanged and clears
// data/info/history/presence, and a value of the wrong type is an error.

var errJSONType = errors.New("JSON value of the wrong type")

func typeErr(field string, i int) error {
	return fmt.Errorf("%w for %q at offset %d", errJSONType, field, i)
}

// jsonDecoder holds the input and the arena the decoded strings live in.
type jsonDecoder struct {
	b []byte
	a arena
}

func decodeJSONCommand(b []byte, m *Message) error {
	m.Reset()
	i := jsonkit.SkipSpace(b, 0)
	if i < len(b) && b[i] == 'n' {
		// encoding/json accepts a bare null as "nothing to decode".
		i, err := jsonkit.ScanLiteral(b, i, "null")
		if err != nil {
			return err
		}
		return expectEnd(b, i)
	}
	if i >= len(b) || b[i] != '{' {
		return fmt.Errorf("%w: a command must be a JSON object", errJSONType)
	}
	d := jsonDecoder{b: b, a: newArena(len(b))}
	i, err := d.command(i, m)
	if err != nil {
		return err
	}
	return expectEnd(b, i)
}

func expectEnd(b []byte, i int) error {
	if i = jsonkit.SkipSpace(b, i); i != len(b) {
		return jsonkit.SyntaxErrAt(i)
	}
	return nil
}

func (d *jsonDecoder) command(i int, m *Message) (int, error) {
	return jsonkit.EachMember(d.b, i, func(si jsonkit.Str, i int) (int, error) {
		switch matchKey(d.b, si, commandKeys[:]) {
		case keyCommand:
			return d.commandName(i, m)
		case keyIdentifier:
			return d.stringValue(i, "identifier", &m.Identifier)
		case keyData:
			return d.data(i, m)
		case keyHistory:
			return d.history(i, m)
		case keyPresence:
			return d.presence(i, m)
		default:
			return jsonkit.SkipValue(d.b, i, 1)
		}
	})
}

// stringValue decodes a string (null keeps *dst) into the arena.
func (d *jsonDecoder) stringValue(i int, field string, dst *string) (int, error) {
	switch d.b[i] {
	case '"':
		m := d.a.mark()
		var (
			end int
			err error
		)
		if d.a.buf, end, err = jsonkit.AppendStringValue(d.a.buf, d.b, i); err != nil {
			return end, err
		}
		*dst = d.a.stringFrom(m)
		return end, nil
	case 'n':
		return jsonkit.ScanLiteral(d.b, i, "null")
	}
	if _, err := jsonkit.SkipValue(d.b, i, 1); err != nil {
		return i, err
	}
	return i, typeErr(field, i)
}

func (d *jsonDecoder) commandName(i int, m *Message) (int, error) {
	if d.b[i] != '"' {
		return d.stringValue(i, "command", &m.Command)
	}
	si, err := jsonkit.ScanString(d.b, i)
	if err != nil {
		return i, err
	}
	if si.Verbatim() {
		m.Command = internCommand(d.b[si.Body:si.End-1], &d.a)
		return si.End, nil
	}
	return d.stringValue(i, "command", &m.Command)
}

func (d *jsonDecoder) data(i int, m *Message) (int, error) {
	m.Data, m.DataIsString, m.RawData = "", false, nil
	switch d.b[i] {
	case '"':
		m.DataIsString = true
		return d.stringValue(i, "data", &m.Data)
	case 'n':
		return jsonkit.ScanLiteral(d.b, i, "null")
	}
	end, err := jsonkit.SkipAnyValue(d.b, i, 1)
	if err != nil {
		return end, err
	}
	m.RawData = d.a.copyBytes(d.b[i:end])
	return end, nil
}

// rawValue copies any JSON value (null clears *dst).
func (d *jsonDecoder) rawValue(i, depth int, dst *[]byte) (int, error) {
	end, err := jsonkit.SkipAnyValue(d.b, i, depth)
	if err != nil {
		return end, err
	}
	if d.b[i] == 'n' {
		*dst = nil
	} else {
		*dst = d.a.copyBytes(d.b[i:end])
	}
	return end, nil
}

func (d *jsonDecoder) history(i int, m *Message) (int, error) {
	switch d.b[i] {
	case 'n':
		m.History = nil
		return jsonkit.ScanLiteral(d.b, i, "null")
	case '{':
	default:
		return i, d.typeErrSkipping(i, "history")
	}
	if m.History == nil {
		m.History = &HistoryRequest{}
	}
	h := m.History
	return jsonkit.EachMember(d.b, i, func(si jsonkit.Str, i int) (int, error) {
		switch matchKey(d.b, si, historyKeys[:]) {
		case keySince:
			return d.intValue(i, "since", &h.Since)
		case keyStreams:
			return d.streams(i, h)
		default:
			return jsonkit.SkipValue(d.b, i, 2)
		}
	})
}

func (d *jsonDecoder) streams(i int, h *HistoryRequest) (int, error) {
	switch d.b[i] {
	case 'n':
		h.Streams = nil
		return jsonkit.ScanLiteral(d.b, i, "null")
	case '{':
	default:
		return i, d.typeErrSkipping(i, "streams")
	}
	if h.Streams == nil {
		h.Streams = make(map[string]StreamPosition)
	}
	return jsonkit.EachMember(d.b, i, func(si jsonkit.Str, i int) (int, error) {
		m := d.a.mark()
		d.a.buf = jsonkit.AppendUnescaped(d.a.buf, si.Raw(d.b), si)
		name := d.a.stringFrom(m)
		var pos StreamPosition
		end, err := d.position(i, &pos)
		if err == nil {
			h.Streams[name] = pos
		}
		return end, err
	})
}

func (d *jsonDecoder) position(i int, pos *StreamPosition) (int, error) {
	switch d.b[i] {
	case 'n':
		return jsonkit.ScanLiteral(d.b, i, "null")
	case '{':
	default:
		return i, d.typeErrSkipping(i, "streams")
	}
	return jsonkit.EachMember(d.b, i, func(si jsonkit.Str, i int) (int, error) {
		switch matchKey(d.b, si, positionKeys[:]) {
		case keyEpoch:
			return d.stringValue(i, "epoch", &pos.Epoch)
		case keyOffset:
			return d.uintValue(i, "offset", &pos.Offset)
		default:
			return jsonkit.SkipValue(d.b, i, 4)
		}
	})
}

func (d *jsonDecoder) presence(i int, m *Message) (int, error) {
	switch d.b[i] {
	case 'n':
		m.Presence = nil
		return jsonkit.ScanLiteral(d.b, i, "null")
	case '{':
	default:
		return i, d.typeErrSkipping(i, "presence")
	}
	if m.Presence == nil {
		m.Presence = &PresenceRequest{}
	}
	p := m.Presence
	return jsonkit.EachMember(d.b, i, func(si jsonkit.Str, i int) (int, error) {
		switch matchKey(d.b, si, presenceKeys[:]) {
		case keyID:
			return d.stringValue(i, "id", &p.ID)
		case keyInfo:
			return d.rawValue(i, 2, &p.Info)
		default:
			return jsonkit.SkipValue(d.b, i, 2)
		}
	})
}

// numberLiteral returns the literal of a number value, or ok=false for null.
func (d *jsonDecoder) numberLiteral(i int, field string) (lit []byte, end int, ok bool, err error) {
	c := d.b[i]
	if c == 'n' {
		end, err = jsonkit.ScanLiteral(d.b, i, "null")
		return nil, end, false, err
	}
	if c != '-' && !jsonkit.IsDigit(c) {
		return nil, i, false, d.typeErrSkipping(i, field)
	}
	end, _, err = jsonkit.ScanNumber(d.b, i)
	if err != nil {
		return nil, end, false, err
	}
	return d.b[i:end], end, true, nil
}

// intValue decodes an integer into an int64 (null keeps *dst).
func (d *jsonDecoder) intValue(i int, field string, dst *int64) (int, error) {
	lit, end, ok, err := d.numberLiteral(i, field)
	if !ok || err != nil {
		return end, err
	}
	n, perr := strconv.ParseInt(jsonkit.BytesView(lit), 10, 64)
	if perr != nil {
		return end, typeErr(field, i)
	}
	*dst = n
	return end, nil
}

// uintValue decodes an unsigned integer (null keeps *dst).
func (d *jsonDecoder) uintValue(i int, field string, dst *uint64) (int, error) {
	lit, end, ok, err := d.numberLiteral(i, field)
	if !ok || err != nil {
		return end, err
	}
	n, perr := strconv.ParseUint(jsonkit.BytesView(lit), 10, 64)
	if perr != nil {
		return end, typeErr(field, i)
	}
	*dst = n
	return end, nil
}

// typeErrSkipping reports a type error, or the syntax error of the value if
// it is not valid JSON at all.
func (d *jsonDecoder) typeErrSkipping(i int, field string) error {
	if _, err := jsonkit.SkipValue(d.b, i, 1); err != nil {
		return err
	}
	return typeErr(field, i)
}
