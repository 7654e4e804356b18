package pusher

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/encoders/jsonkit"
)

// Pusher's limits on triggered events (docs/limits.md).
const (
	MaxDataSize     = 10 << 10 // bytes of one event's data
	MaxChannels     = 100      // channels of one event
	MaxBatch        = 10       // events of one batch
	MaxNameLen      = 200      // bytes of an event or channel name
	MaxBodySize     = 1 << 20  // bytes of a request body
	maxSocketIDSize = 64
)

// errTooLarge marks input over a size limit (413, not 400).
var errTooLarge = errors.New("too large")

// event is one triggered event as the server SDKs send it.
type event struct {
	Name     string          `json:"name"`
	Data     json.RawMessage `json:"data"`
	Channel  string          `json:"channel"`
	Channels []string        `json:"channels"`
	SocketID string          `json:"socket_id"`
}

// validate checks the event and returns its channels and data string.
func (e *event) validate() (channels []string, data string, err error) {
	if e.Name == "" || len(e.Name) > MaxNameLen {
		return nil, "", fmt.Errorf("event name must be 1-%d bytes", MaxNameLen)
	}
	channels = e.Channels
	if e.Channel != "" {
		channels = append([]string{e.Channel}, channels...)
	}
	if len(channels) == 0 {
		return nil, "", errors.New("no channel given")
	}
	if len(channels) > MaxChannels {
		return nil, "", fmt.Errorf("at most %d channels per event", MaxChannels)
	}
	for _, c := range channels {
		if !ValidChannel(c) {
			return nil, "", fmt.Errorf("invalid channel name %q", c)
		}
	}
	if e.SocketID != "" && !ValidSocketID(e.SocketID) {
		return nil, "", fmt.Errorf("invalid socket_id %q", e.SocketID)
	}
	// Pusher's data is a string; other JSON is taken as its text.
	data = string(e.Data)
	if len(e.Data) > 0 && e.Data[0] == '"' {
		if err := json.Unmarshal(e.Data, &data); err != nil {
			return nil, "", err
		}
	}
	if len(data) > MaxDataSize {
		return nil, "", fmt.Errorf("%w: event data is %d bytes, the limit is %d", errTooLarge, len(data), MaxDataSize)
	}
	return channels, data, nil
}

// publications turns a valid event into one publication per channel:
// {"event":name,"data":data} on the stream named like the channel,
// excluding the socket_id's connection.
func publications(e *event, channels []string, data string) []*broker.Publication {
	b := append([]byte(`{"event":`), jsonkit.AppendString(nil, e.Name)...)
	b = append(b, `,"data":`...)
	b = jsonkit.AppendString(b, data)
	b = append(b, '}')
	payload := string(b)
	out := make([]*broker.Publication, len(channels))
	for i, c := range channels {
		out[i] = &broker.Publication{Stream: c, Data: payload, Meta: broker.Meta{ExcludeSocket: e.SocketID}}
	}
	return out
}

// parseEvents reads a POST /events body (batch false) or a POST
// /batch_events body ({"batch":[...]}) into publications. Nothing is
// published unless every event is valid.
func parseEvents(body []byte, batch bool) ([]*broker.Publication, error) {
	var events []event
	if batch {
		var b struct {
			Batch []event `json:"batch"`
		}
		if err := json.Unmarshal(body, &b); err != nil {
			return nil, fmt.Errorf("malformed JSON: %w", err)
		}
		if len(b.Batch) == 0 {
			return nil, errors.New("empty batch")
		}
		if len(b.Batch) > MaxBatch {
			return nil, fmt.Errorf("%w: at most %d events per batch", errTooLarge, MaxBatch)
		}
		events = b.Batch
	} else {
		var e event
		if err := json.Unmarshal(body, &e); err != nil {
			return nil, fmt.Errorf("malformed JSON: %w", err)
		}
		events = []event{e}
	}
	var out []*broker.Publication
	for i := range events {
		chs, data, err := events[i].validate()
		if err != nil {
			return nil, err
		}
		out = append(out, publications(&events[i], chs, data)...)
	}
	return out, nil
}

// ValidChannel reports a Pusher channel name: 1-200 bytes of letters,
// digits and _ - = @ , . ; (Pusher's alphabet).
func ValidChannel(s string) bool {
	if s == "" || len(s) > MaxNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '_' || c == '-' || c == '=' || c == '@' || c == ',' || c == '.' || c == ';':
		default:
			return false
		}
	}
	return true
}

// ValidSocketID reports Pusher's socket id format, digits.digits.
func ValidSocketID(s string) bool {
	if len(s) > maxSocketIDSize {
		return false
	}
	dot := -1
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.' && dot < 0:
			dot = i
		case c >= '0' && c <= '9':
		default:
			return false
		}
	}
	return dot > 0 && dot < len(s)-1
}
