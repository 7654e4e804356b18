package broker

import (
	"context"
	"errors"
)

// Broker keeps what outlives a connection: stream history (epoch and
// offsets), the resumable-session cache and presence. Engines: memory,
// redis, nats (JetStream). Every method is safe for concurrent use.
//
// The publication path (fanout.Publisher) with a broker: a single-node
// broadcaster (http, redisx, REST API) hands the publication to it, Store
// assigns Epoch/Offset (unless Meta.Transient) and keeps it in history,
// then PubSub carries it so that every node's hub delivers it.
type Broker interface {
	Start(ctx context.Context) error
	Shutdown(ctx context.Context) error

	// Store records a publication (non-transient ones only) and fills its
	// Epoch and Offset. Offsets start at 1 per stream and grow by 1.
	Store(ctx context.Context, p *Publication) error
	// HistoryFrom returns the stream's publications with offsets greater
	// than offset, oldest first. ErrUnknownEpoch, ErrStreamNotFound or
	// ErrOffsetOutOfRange mean the history cannot satisfy the request.
	HistoryFrom(ctx context.Context, stream, epoch string, offset uint64) ([]Publication, error)
	// HistorySince returns publications stored at or after the Unix time
	// (seconds); an unknown stream gives none and no error.
	HistorySince(ctx context.Context, stream string, since int64) ([]Publication, error)

	// CommitSession stores a session snapshot under sid for sessions_ttl.
	CommitSession(ctx context.Context, sid string, snapshot []byte) error
	// RestoreSession returns the snapshot stored under sid, or nil.
	RestoreSession(ctx context.Context, sid string) ([]byte, error)
	// TouchSession extends the snapshot's lifetime.
	TouchSession(ctx context.Context, sid string) error

	// PresenceAdd records that session sid is present in stream as id. It
	// returns a join event when id is new to the stream (nil otherwise).
	// A session that is already present with another id gets
	// ErrPresenceIDMismatch.
	PresenceAdd(ctx context.Context, stream, sid, id string, info []byte) (*PresenceEvent, error)
	// PresenceRemove removes session sid from stream; it returns a leave
	// event when that was the last session with its id (nil otherwise).
	PresenceRemove(ctx context.Context, stream, sid string) (*PresenceEvent, error)
	// PresenceInfo returns the stream's presence: total and records.
	PresenceInfo(ctx context.Context, stream string) (*PresenceInfo, error)
	// TouchPresence keeps session sid's presence alive in every stream; a
	// presence not touched for presence_ttl expires and its leave events
	// are delivered through the expiry callback given to the engine.
	TouchPresence(ctx context.Context, sid string) error
}

// PresenceEvent is a join or leave (Type "join" / "leave").
type PresenceEvent struct {
	Type string
	ID   string
	Info []byte // JSON; join only
}

// PresenceInfo is a stream's presence state.
type PresenceInfo struct {
	Total   int
	Records []PresenceRecord
}

// PresenceRecord is one present id.
type PresenceRecord struct {
	ID   string
	Info []byte // JSON
}

// ExpiredPresence is called by an engine when presence expires (no touch
// within presence_ttl): the leave events for the stream must be broadcast.
type ExpiredPresence func(stream string, events []PresenceEvent)

// Errors a broker returns.
var (
	ErrUnknownEpoch       = errors.New("broker: unknown epoch")
	ErrStreamNotFound     = errors.New("broker: stream not found")
	ErrOffsetOutOfRange   = errors.New("broker: offset out of range")
	ErrPresenceIDMismatch = errors.New("presence ID mismatch")
	ErrNotSupported       = errors.New("broker: not supported")
)

// Options are the settings every engine shares.
type Options struct {
	HistoryLimit int // --history_limit (100)
	HistoryTTL   int // --history_ttl seconds (300)
	SessionsTTL  int // --sessions_ttl seconds (300)
	PresenceTTL  int // --presence_ttl seconds (15)
}

// DefaultOptions returns anycable-go's defaults.
func DefaultOptions() Options {
	return Options{HistoryLimit: 100, HistoryTTL: 300, SessionsTTL: 300, PresenceTTL: 15}
}

// PubSub carries publications between nodes (--pubsub redis|nats). A node
// subscribes to the streams its clients use, so only nodes with
// subscribers do work for a stream.
type PubSub interface {
	Start(ctx context.Context, h Handler) error
	Shutdown(ctx context.Context) error
	Subscribe(stream string)
	Unsubscribe(stream string)
	// Broadcast sends a publication to every node subscribed to its stream
	// (this one included).
	Broadcast(ctx context.Context, p *Publication) error
	// BroadcastCommand sends a remote command to every node.
	BroadcastCommand(ctx context.Context, c *RemoteCommand) error
}
