// Package webhooks sends Pusher webhooks: channel_occupied,
// channel_vacated, member_added, member_removed and client_event, batched
// as {"time_ms":..,"events":[..]}, signed with X-Pusher-Key and
// X-Pusher-Signature, from a bounded queue with retries.
package webhooks

import (
	"strconv"

	"github.com/densecable/densecable/encoders/jsonkit"
)

// Event names, as Pusher sends them and --pusher_webhook_events takes them.
const (
	ChannelOccupied = "channel_occupied"
	ChannelVacated  = "channel_vacated"
	MemberAdded     = "member_added"
	MemberRemoved   = "member_removed"
	ClientEvent     = "client_event"
)

// Names lists every event name.
var Names = []string{ChannelOccupied, ChannelVacated, MemberAdded, MemberRemoved, ClientEvent}

// Event is one webhook event; empty fields are left out.
type Event struct {
	Name     string
	Channel  string
	UserID   string // member_added, member_removed; client_event on presence
	Event    string // client_event: the client's event name
	Data     string // client_event: its data, as a string
	SocketID string // client_event: the sender
}

// appendJSON renders e as Pusher's event object.
func (e *Event) appendJSON(b []byte) []byte {
	b = jsonkit.AppendString(append(b, `{"name":`...), e.Name)
	b = jsonkit.AppendString(append(b, `,"channel":`...), e.Channel)
	if e.Event != "" {
		b = jsonkit.AppendString(append(b, `,"event":`...), e.Event)
	}
	if e.Name == ClientEvent {
		b = jsonkit.AppendString(append(b, `,"data":`...), e.Data)
	}
	if e.SocketID != "" {
		b = jsonkit.AppendString(append(b, `,"socket_id":`...), e.SocketID)
	}
	if e.UserID != "" {
		b = jsonkit.AppendString(append(b, `,"user_id":`...), e.UserID)
	}
	return append(b, '}')
}

// Body renders a webhook body: {"time_ms":t,"events":[...]}.
func Body(timeMS int64, events []Event) []byte {
	b := strconv.AppendInt([]byte(`{"time_ms":`), timeMS, 10)
	b = append(b, `,"events":[`...)
	for i := range events {
		if i > 0 {
			b = append(b, ',')
		}
		b = events[i].appendJSON(b)
	}
	return append(b, ']', '}')
}
