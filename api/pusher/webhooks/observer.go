package webhooks

import (
	"strings"

	"github.com/densecable/densecable/api/pusher"
)

// Observer is the session core's protocol.Observer for Pusher: this node's
// stream transitions go to the tracker (which decides the cluster's and
// calls back for channel_occupied / channel_vacated); presence changes,
// already decided once across the cluster by the broker, become
// member_added / member_removed; client events come from the Pusher
// protocol through ClientEvent. With no sender (no webhook URL) it only
// keeps the tracker up to date, which the HTTP API reads.
type Observer struct {
	tracker *pusher.Tracker
	sender  *Sender // nil: no webhooks
}

// NewObserver wires tracker's cluster transitions to sender (may be nil).
func NewObserver(tracker *pusher.Tracker, sender *Sender) *Observer {
	o := &Observer{tracker: tracker, sender: sender}
	if sender != nil {
		tracker.OnOccupied = func(c string) { sender.Add(Event{Name: ChannelOccupied, Channel: c}) }
		tracker.OnVacated = func(c string) { sender.Add(Event{Name: ChannelVacated, Channel: c}) }
	}
	return o
}

// StreamOccupied implements protocol.Observer.
func (o *Observer) StreamOccupied(stream string) { o.tracker.Occupied(stream) }

// StreamVacated implements protocol.Observer.
func (o *Observer) StreamVacated(stream string) { o.tracker.Vacated(stream) }

// PresenceJoined implements protocol.Observer.
func (o *Observer) PresenceJoined(stream, id string, _ []byte) {
	if o.sender != nil && strings.HasPrefix(stream, "presence-") {
		o.sender.Add(Event{Name: MemberAdded, Channel: stream, UserID: id})
	}
}

// PresenceLeft implements protocol.Observer.
func (o *Observer) PresenceLeft(stream, id string) {
	if o.sender != nil && strings.HasPrefix(stream, "presence-") {
		o.sender.Add(Event{Name: MemberRemoved, Channel: stream, UserID: id})
	}
}

// ClientEvent queues a client_event webhook (the Pusher protocol calls it
// for every accepted client-* event); userID is set on presence channels.
func (o *Observer) ClientEvent(channel, event string, data []byte, socketID, userID string) {
	if o.sender == nil || !o.sender.Wants(ClientEvent) {
		return
	}
	o.sender.Add(Event{Name: ClientEvent, Channel: channel, Event: event, Data: string(data), SocketID: socketID, UserID: userID})
}
