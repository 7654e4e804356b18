package cableproto

import (
	"errors"

	"github.com/densecable/densecable/encoders/jsonkit"
)

// JSON is the Action Cable JSON protocol (actioncable-v1-json, text frames).
type JSON struct{}

func (JSON) Name() string        { return "json" }
func (JSON) Subprotocol() string { return "actioncable-v1-json" }
func (JSON) Binary() bool        { return false }

func (JSON) AppendCommand(dst []byte, command, identifier, data string) []byte {
	dst = append(dst, `{"command":`...)
	dst = jsonkit.AppendString(dst, command)
	dst = append(dst, `,"identifier":`...)
	dst = jsonkit.AppendString(dst, identifier)
	if data != "" {
		dst = append(dst, `,"data":`...)
		dst = jsonkit.AppendString(dst, data)
	}
	return append(dst, '}')
}

var errNotObject = errors.New("cableproto: not a JSON object")

// eachJSONField calls fn with the raw key (without quotes, escapes kept) and
// the raw value of every member of the JSON object b, which must be the whole
// input. The JSON toolkit validates it as encoding/json would.
func eachJSONField(b []byte, fn func(key, val []byte) error) error {
	i := jsonkit.SkipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return errNotObject
	}
	end, err := jsonkit.EachMember(b, i, func(k jsonkit.Str, v int) (int, error) {
		vend, err := jsonkit.SkipValue(b, v, 1)
		if err != nil {
			return vend, err
		}
		return vend, fn(k.Raw(b), b[v:vend])
	})
	if err != nil {
		return err
	}
	if jsonkit.SkipSpace(b, end) != len(b) {
		return jsonkit.SyntaxErrAt(end)
	}
	return nil
}

func (JSON) ParseReply(b []byte, r *Reply) error {
	*r = Reply{}
	hasMessage := false
	err := eachJSONField(b, func(key, val []byte) error {
		switch string(key) {
		case "type":
			if s, ok := jsonPlainString(val); ok {
				r.Kind = kindOfType(s)
			}
		case "message":
			hasMessage = true
			if len(val) > 0 && val[0] == '{' {
				return parseJSONBenchMessage(val, r)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if r.Kind == KindUnknown && hasMessage {
		r.Kind = KindMessage
	}
	return nil
}

// parseJSONBenchMessage reads {"action":..,"payload":{"sendTime":..}}.
func parseJSONBenchMessage(b []byte, r *Reply) error {
	return eachJSONField(b, func(key, val []byte) error {
		switch string(key) {
		case "action":
			if s, ok := jsonPlainString(val); ok {
				r.Action = actionOf(s)
			}
		case "payload":
			if len(val) > 0 && val[0] == '{' {
				return eachJSONField(val, func(k, v []byte) error {
					if string(k) == "sendTime" {
						if s, ok := jsonPlainString(v); ok {
							v = s
						}
						if n, ok := parseDigits(v); ok {
							r.SendTime = n
						}
					}
					return nil
				})
			}
		}
		return nil
	})
}

// jsonPlainString returns the contents of a JSON string literal that holds
// no escapes (all the values the load generator compares are plain).
func jsonPlainString(v []byte) ([]byte, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return nil, false
	}
	s := v[1 : len(v)-1]
	for _, c := range s {
		if c == '\\' {
			return nil, false
		}
	}
	return s, true
}
