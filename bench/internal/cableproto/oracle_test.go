package cableproto

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/vmihailenco/msgpack/v5"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/densecable/densecable/encoders/acpb"
)

// The reference parsers below read replies with general-purpose decoders
// (encoding/json, vmihailenco/msgpack, google.golang.org/protobuf) and apply
// the rules the package documents; the fuzz targets compare the hand-written
// scanners with them.

// refJSONReply parses an object with encoding/json; ok is false when
// encoding/json rejects b or b is not an object.
func refJSONReply(b []byte) (r Reply, ok bool) {
	if !json.Valid(b) {
		return r, false
	}
	fields, isObj := refJSONFields(b)
	if !isObj {
		return r, false
	}
	hasMessage := false
	for _, f := range fields {
		switch f.key {
		case "type":
			if s, ok := jsonPlainString(f.val); ok {
				r.Kind = kindOfType(s)
			}
		case "message":
			hasMessage = true
			if msg, isObj := refJSONFields(f.val); isObj {
				refJSONBench(msg, &r)
			}
		}
	}
	if r.Kind == KindUnknown && hasMessage {
		r.Kind = KindMessage
	}
	return r, true
}

func refJSONBench(msg []jsonField, r *Reply) {
	for _, f := range msg {
		switch f.key {
		case "action":
			if s, ok := jsonPlainString(f.val); ok {
				r.Action = actionOf(s)
			}
		case "payload":
			payload, isObj := refJSONFields(f.val)
			if !isObj {
				continue
			}
			for _, p := range payload {
				if p.key != "sendTime" {
					continue
				}
				v := p.val
				if s, ok := jsonPlainString(v); ok {
					v = s
				}
				if n, ok := parseDigits(v); ok {
					r.SendTime = n
				}
			}
		}
	}
}

type jsonField struct {
	key string
	val json.RawMessage
}

// refJSONFields lists the members of a valid JSON object in order
// (duplicates kept, as a scanner sees them).
func refJSONFields(b []byte) ([]jsonField, bool) {
	d := json.NewDecoder(bytes.NewReader(b))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	var out []jsonField
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return nil, false
		}
		var f jsonField
		f.key, _ = tok.(string)
		if err := d.Decode(&f.val); err != nil {
			return nil, false
		}
		out = append(out, f)
	}
	return out, true
}

// refMsgpackReply parses b with vmihailenco/msgpack. ok is false when it
// rejects b; a value that is not a map is an error, as for the scanner.
func refMsgpackReply(b []byte) (r Reply, err error) {
	fields, err := refMsgpackFields(b)
	if err != nil {
		return r, err
	}
	hasMessage := false
	for _, f := range fields {
		switch f.key {
		case "type":
			if s, ok := f.val.(string); ok && s != "" {
				r.Kind = kindOfType([]byte(s))
			}
		case "message":
			hasMessage = true
			if err := refMsgpackBench(f.raw, &r); err != nil {
				return r, err
			}
		}
	}
	if r.Kind == KindUnknown && hasMessage {
		r.Kind = KindMessage
	}
	return r, nil
}

func refMsgpackBench(raw []byte, r *Reply) error {
	if !isMsgpackMapValue(raw) {
		return nil // not a map: not a benchmark message
	}
	fields, err := refMsgpackFields(raw)
	if err != nil {
		return err
	}
	for _, f := range fields {
		switch f.key {
		case "action":
			if s, ok := f.val.(string); ok {
				r.Action = actionOf([]byte(s))
			}
		case "payload":
			if !isMsgpackMapValue(f.raw) {
				continue
			}
			payload, err := refMsgpackFields(f.raw)
			if err != nil {
				return err
			}
			for _, p := range payload {
				if p.key == "sendTime" {
					if n, ok := refSendTime(p.val); ok {
						r.SendTime = n
					}
				}
			}
		}
	}
	return nil
}

// isMsgpackMapValue reports whether raw holds one map (of any key types).
func isMsgpackMapValue(raw []byte) bool {
	d := msgpack.NewDecoder(bytes.NewReader(raw))
	code, err := d.PeekCode()
	if err != nil {
		return false
	}
	return code >= 0x80 && code <= 0x8f || code == 0xde || code == 0xdf
}

// refSendTime is the documented reading of sendTime: a non-negative
// integer of any msgpack width, a float64, or a decimal string.
func refSendTime(v any) (int64, bool) {
	switch x := v.(type) {
	case string:
		return parseDigits([]byte(x))
	case int8, int16, int32, int64:
		n := toInt64(x)
		return n, n >= 0
	case uint8, uint16, uint32, uint64:
		u := toUint64(x)
		return int64(u), u <= math.MaxInt64
	case float64:
		if x >= 0 && x < math.MaxInt64 {
			return int64(x), true
		}
	}
	return 0, false
}

func toInt64(v any) int64 {
	switch x := v.(type) {
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case int64:
		return x
	}
	return 0
}

func toUint64(v any) uint64 {
	switch x := v.(type) {
	case uint8:
		return uint64(x)
	case uint16:
		return uint64(x)
	case uint32:
		return uint64(x)
	case uint64:
		return x
	}
	return 0
}

type msgpackField struct {
	key string // "" with keyOK false for a non-string key
	val any
	raw []byte
}

var errRefMsgpack = errors.New("reference: malformed msgpack")

// refMsgpackFields lists the string-keyed entries of the map at the start of
// b, in order, with each value decoded and raw.
func refMsgpackFields(b []byte) ([]msgpackField, error) {
	if !isMsgpackMapValue(b) {
		return nil, errRefMsgpack
	}
	d := msgpack.NewDecoder(bytes.NewReader(b))
	n, err := d.DecodeMapLen()
	if err != nil {
		return nil, err
	}
	var out []msgpackField
	for range n {
		kraw, err := d.DecodeRaw()
		if err != nil {
			return nil, err
		}
		vraw, err := d.DecodeRaw()
		if err != nil {
			return nil, err
		}
		key, isStr := refMsgpackValue(kraw).(string)
		if !isStr {
			continue // only str keys count
		}
		out = append(out, msgpackField{key: key, val: refMsgpackValue(vraw), raw: vraw})
	}
	return out, nil
}

// refMsgpackValue decodes one element (nil when it cannot); str gives a
// string, bin a []byte.
func refMsgpackValue(raw []byte) any {
	v, err := msgpack.NewDecoder(bytes.NewReader(raw)).DecodeInterface()
	if err != nil {
		return nil
	}
	return v
}

// refProtobufReply parses b with google.golang.org/protobuf; ok is false
// when proto.Unmarshal rejects it.
func refProtobufReply(b []byte) (r Reply, ok bool, err error) {
	var m acpb.Message
	if proto.Unmarshal(b, &m) != nil {
		return r, false, nil
	}
	r.Kind = pbKind(uint64(uint32(m.Type))) // proto3 enums are int32 on the wire
	if len(m.Message) > 0 || hasEmptyMessage(b) {
		if err := refMsgpackBench(m.Message, &r); err != nil {
			return r, true, err
		}
		if r.Kind == KindUnknown {
			r.Kind = KindMessage
		}
	}
	return r, true, nil
}

// hasEmptyMessage reports whether the message field is on the wire, empty:
// proto3 cannot tell that from an absent field, the scanner can.
func hasEmptyMessage(b []byte) bool {
	found := false
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return false
		}
		b = b[n:]
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return false
		}
		if num == pbFieldMessage && typ == protowire.BytesType {
			v, _ := protowire.ConsumeBytes(b)
			found = len(v) == 0 // the last one counts
		}
		b = b[m:]
	}
	return found
}

func sameReply(got, want Reply) error {
	if got != want {
		return fmt.Errorf("got %+v, reference %+v", got, want)
	}
	return nil
}
