package broker

import (
	"errors"
	"fmt"
	"math"

	"github.com/densecable/densecable/encoders/jsonkit"
)

// ErrMalformed is wrapped by every Parse error: the payload is not a
// publication, a batch or a known remote command. Callers count it as a
// failed broadcast, log it and drop it.
var ErrMalformed = errors.New("malformed publication")

// Parse reads a payload from a broadcaster (HTTP body, Redis message, stream
// entry, NATS message). It tries, in order, as the reference does:
//
//  1. a single publication {"stream":..,"data":..,"meta":{..}} with a
//     non-empty stream;
//  2. a batch: an array of publications whose first element has a stream;
//  3. a remote command {"command":"disconnect","payload":{"identifier":..,
//     "reconnect":..}}.
//
// Anything else is an error wrapping ErrMalformed. Decoding follows
// encoding/json into the reference's structs, so keys match
// case-insensitively, the last duplicate wins, null leaves a field unset,
// and a value of the wrong type spoils the whole interpretation. Choices
// where the reference is loose:
//
//   - `data` must be a JSON string (the documented format). A non-string
//     data fails the message; in a batch it fails the whole batch, as the
//     reference's decoder does.
//   - "offset" and "epoch" keys are read into Offset/Epoch, as the reference
//     decodes them (its inter-node pub/sub carries them this way).
//   - Batch elements after the first that are null or have an empty stream
//     are dropped (they cannot reach a subscriber).
//   - A command other than "disconnect", or an object that is none of the
//     above (`{}`), is an error, where the reference silently ignores it.
//   - A disconnect with a null payload gives an empty Identifier, as in the
//     reference; a missing payload is an error.
func Parse(b []byte) (pubs []Publication, cmd *RemoteCommand, err error) {
	i := jsonkit.SkipSpace(b, 0)
	if i >= len(b) {
		return nil, nil, malformed("empty payload", i)
	}
	switch b[i] {
	case '{':
		return parseObject(b, i)
	case '[':
		pubs, err = parseBatch(b, i)
		return pubs, nil, err
	default:
		end, err := jsonkit.SkipValue(b, i, 0)
		if err != nil {
			return nil, nil, malformed(err.Error(), end)
		}
		if end = jsonkit.SkipSpace(b, end); end != len(b) {
			return nil, nil, malformed(jsonkit.ErrSyntax.Error(), end)
		}
		return nil, nil, malformed("not an object or an array", i)
	}
}

func malformed(reason string, at int) error {
	return fmt.Errorf("%w: %s at byte %d", ErrMalformed, reason, at)
}

// message is one object read both ways the reference reads it: as a
// publication and as a remote command.
type message struct {
	pub     Publication
	pubBad  bool // a publication field had the wrong type
	command string
	cmdBad  bool // "command" was not a string
	// payload is the raw value of "payload"; hasPayload tells it was there.
	payloadStart, payloadEnd int
	hasPayload               bool
}

func parseObject(b []byte, i int) ([]Publication, *RemoteCommand, error) {
	var m message
	end, err := m.read(b, i, 0)
	if err != nil {
		return nil, nil, malformed(err.Error(), end)
	}
	if end = jsonkit.SkipSpace(b, end); end != len(b) {
		return nil, nil, malformed(jsonkit.ErrSyntax.Error(), end)
	}
	if !m.pubBad && m.pub.Stream != "" {
		return []Publication{m.pub}, nil, nil
	}
	if m.cmdBad {
		return nil, nil, malformed("command is not a string", i)
	}
	if m.command != "disconnect" {
		if m.command == "" {
			return nil, nil, malformed("neither a publication nor a command", i)
		}
		return nil, nil, malformed("unknown command "+m.command, i)
	}
	if !m.hasPayload {
		return nil, nil, malformed("disconnect without payload", i)
	}
	cmd := &RemoteCommand{Command: m.command}
	if err := readDisconnect(b, m.payloadStart, cmd); err != nil {
		return nil, nil, malformed(err.Error(), m.payloadStart)
	}
	return nil, cmd, nil
}

func parseBatch(b []byte, i int) ([]Publication, error) {
	var pubs []Publication
	it := jsonkit.ArrIter{B: b, I: i + 1}
	for n := 0; ; n++ {
		ok, err := it.Next()
		if err != nil {
			return nil, malformed(err.Error(), it.I)
		}
		if !ok {
			break
		}
		start := it.I
		var m message
		switch b[start] {
		case '{':
			it.I, err = m.read(b, start, 1)
		case 'n': // a null element: no publication
			it.I, err = jsonkit.ScanLiteral(b, start, "null")
		default:
			// Any other element fails the batch (and a batch is not a
			// command either), whatever follows.
			return nil, malformed("batch element is not an object", start)
		}
		if err != nil {
			return nil, malformed(err.Error(), it.I)
		}
		if m.pubBad {
			return nil, malformed("batch element has a field of the wrong type", start)
		}
		if m.pub.Stream == "" {
			if n == 0 {
				return nil, malformed("first batch element has no stream", start)
			}
			continue
		}
		if pubs == nil {
			pubs = make([]Publication, 0, 4)
		}
		pubs = append(pubs, m.pub)
	}
	if end := jsonkit.SkipSpace(b, it.I); end != len(b) {
		return nil, malformed(jsonkit.ErrSyntax.Error(), end)
	}
	if len(pubs) == 0 {
		return nil, malformed("empty batch", i)
	}
	return pubs, nil
}

// read decodes the object at b[i] ('{'), nested depth levels deep, into m and
// returns the index past it.
func (m *message) read(b []byte, i, depth int) (int, error) {
	var keyBuf [32]byte
	return jsonkit.EachMember(b, i, func(k jsonkit.Str, v int) (int, error) {
		switch key := keyBytes(b, k, keyBuf[:0]); {
		case keyIs(key, "stream"):
			return readString(b, v, depth+1, &m.pub.Stream, &m.pubBad)
		case keyIs(key, "data"):
			return readString(b, v, depth+1, &m.pub.Data, &m.pubBad)
		case keyIs(key, "meta"):
			return m.readMeta(b, v, depth+1)
		case keyIs(key, "epoch"):
			return readString(b, v, depth+1, &m.pub.Epoch, &m.pubBad)
		case keyIs(key, "offset"):
			return readUint(b, v, depth+1, &m.pub.Offset, &m.pubBad)
		case keyIs(key, "command"):
			return readString(b, v, depth+1, &m.command, &m.cmdBad)
		case keyIs(key, "payload"):
			end, err := jsonkit.SkipValue(b, v, depth+1)
			m.payloadStart, m.payloadEnd, m.hasPayload = v, end, true
			return end, err
		default:
			return jsonkit.SkipValue(b, v, depth+1)
		}
	})
}

func (m *message) readMeta(b []byte, i, depth int) (int, error) {
	switch b[i] {
	case 'n':
		m.pub.Meta = Meta{}
		return jsonkit.ScanLiteral(b, i, "null")
	case '{':
	default:
		m.pubBad = true
		return jsonkit.SkipValue(b, i, depth)
	}
	var keyBuf [32]byte
	return jsonkit.EachMember(b, i, func(k jsonkit.Str, v int) (int, error) {
		switch key := keyBytes(b, k, keyBuf[:0]); {
		case keyIs(key, "exclude_socket"):
			return readString(b, v, depth+1, &m.pub.Meta.ExcludeSocket, &m.pubBad)
		case keyIs(key, "broadcast_type"):
			return readString(b, v, depth+1, &m.pub.Meta.BroadcastType, &m.pubBad)
		case keyIs(key, "transient"):
			return readBool(b, v, depth+1, &m.pub.Meta.Transient, &m.pubBad)
		default:
			return jsonkit.SkipValue(b, v, depth+1)
		}
	})
}

// readDisconnect decodes the disconnect payload at b[i]: null or an object
// with identifier (string) and reconnect (bool).
func readDisconnect(b []byte, i int, cmd *RemoteCommand) error {
	switch b[i] {
	case 'n':
		return nil
	case '{':
	default:
		return errors.New("disconnect payload is not an object")
	}
	var keyBuf [32]byte
	bad := false
	_, err := jsonkit.EachMember(b, i, func(k jsonkit.Str, v int) (int, error) {
		switch key := keyBytes(b, k, keyBuf[:0]); {
		case keyIs(key, "identifier"):
			return readString(b, v, 2, &cmd.Identifier, &bad)
		case keyIs(key, "reconnect"):
			return readBool(b, v, 2, &cmd.Reconnect, &bad)
		default:
			return jsonkit.SkipValue(b, v, 2)
		}
	})
	if err != nil {
		return err
	}
	if bad {
		return errors.New("disconnect payload has a field of the wrong type")
	}
	return nil
}

// readString stores the string at b[i] (nested depth levels deep) in *dst;
// null leaves *dst as it is; any other value sets *bad.
func readString(b []byte, i, depth int, dst *string, bad *bool) (int, error) {
	switch b[i] {
	case '"':
		s, err := jsonkit.ScanString(b, i)
		if err != nil {
			return i, err
		}
		*dst = jsonkit.DecodeString(b, s)
		return s.End, nil
	case 'n':
		return jsonkit.ScanLiteral(b, i, "null")
	default:
		*bad = true
		return jsonkit.SkipValue(b, i, depth)
	}
}

func readBool(b []byte, i, depth int, dst *bool, bad *bool) (int, error) {
	lit, v, ok := jsonkit.BoolLiteral(b[i])
	if !ok {
		*bad = true
		return jsonkit.SkipValue(b, i, depth)
	}
	if lit != "null" { // null leaves the field as it was
		*dst = v
	}
	return jsonkit.ScanLiteral(b, i, lit)
}

// readUint stores a JSON number that is a uint64 literal ("12", not "1.0",
// "1e2" or "-0"); other numbers and other values set *bad.
func readUint(b []byte, i, depth int, dst *uint64, bad *bool) (int, error) {
	switch c := b[i]; {
	case c == 'n':
		return jsonkit.ScanLiteral(b, i, "null")
	case c == '-' || '0' <= c && c <= '9':
		end, _, err := jsonkit.ScanNumber(b, i)
		if err != nil {
			return end, err
		}
		var n uint64
		for _, c := range b[i:end] {
			if c < '0' || c > '9' {
				*bad = true
				return end, nil
			}
			d := uint64(c - '0')
			if n > (math.MaxUint64-d)/10 {
				*bad = true // overflow
				return end, nil
			}
			n = n*10 + d
		}
		*dst = n
		return end, nil
	default:
		*bad = true
		return jsonkit.SkipValue(b, i, depth)
	}
}

// keyBytes returns the decoded key, in buf when it had escapes.
func keyBytes(b []byte, k jsonkit.Str, buf []byte) []byte {
	if k.Verbatim() {
		return k.Raw(b)
	}
	return jsonkit.AppendUnescaped(buf, k.Raw(b), k)
}
