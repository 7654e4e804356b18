package benchapp

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/densecable/densecable/encoders/jsonkit"
)

// replyType is {"type":<t>,"identifier":<identifier>}.
func replyType(t, identifier string) string {
	b := make([]byte, 0, 32+len(t)+len(identifier))
	b = append(b, `{"type":"`...)
	b = append(b, t...)
	b = append(b, `","identifier":`...)
	b = jsonkit.AppendString(b, identifier)
	return string(append(b, '}'))
}

// dataMessage is {"identifier":<identifier>,"message":<data>}; data is JSON
// text and is embedded as is.
func dataMessage(identifier, data string) string {
	b := make([]byte, 0, 32+len(identifier)+len(data))
	b = append(b, `{"identifier":`...)
	b = jsonkit.AppendString(b, identifier)
	b = append(b, `,"message":`...)
	b = append(b, data...)
	return string(append(b, '}'))
}

var errNoAction = errors.New("data has no action")

// actionOf reads the "action" member of a perform's data.
func actionOf(data string) (string, error) {
	var v struct {
		Action *string `json:"action"`
	}
	if err := json.Unmarshal([]byte(data), &v); err != nil {
		return "", fmt.Errorf("bad data: %w", err)
	}
	if v.Action == nil {
		return "", errNoAction
	}
	return *v.Action, nil
}

// withAction returns data with its "action" member replaced.
func withAction(data, action string) (string, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(data), &m); err != nil {
		return "", fmt.Errorf("bad data: %w", err)
	}
	m["action"] = json.RawMessage(jsonkit.AppendString(nil, action))
	out, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("re-encode data: %w", err)
	}
	return string(out), nil
}
