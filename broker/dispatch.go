package broker

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/densecable/densecable/encoders/jsonkit"
)

// FallibleHandler is a Handler whose broadcast path can fail, such as a broker
// that could not store a publication in its history. A Dispatcher prefers
// TryBroadcast when the handler has it, so the failure reaches the source:
// the HTTP endpoint answers 501 and redisx leaves the entry pending.
type FallibleHandler interface {
	Handler
	TryBroadcast(p *Publication) error
}

// Dispatcher is the path every broadcaster shares: parse a payload, count it,
// log and drop what is malformed, hand the rest to the handler in order.
type Dispatcher struct {
	Handler Handler
	Stats   *Stats
	Log     *slog.Logger
	// Fanout tells the source delivers every message to every node (redis,
	// nats); it only changes which counter a publication goes to.
	Fanout bool
}

// maxLoggedPayload caps how much of a malformed payload goes into the log.
const maxLoggedPayload = 256

// Dispatch parses b and delivers what it holds. It returns an error wrapping
// ErrMalformed for a payload that is not a publication (already counted and
// logged), or the first handler error; after a handler error the rest of a
// batch is not delivered.
func (d *Dispatcher) Dispatch(b []byte) error {
	pubs, cmd, err := Parse(b)
	if err != nil {
		if d.Stats != nil {
			d.Stats.FailedBroadcast.Add(1)
		}
		if d.Log != nil {
			d.Log.Warn("failed to parse broadcast message", "error", err, "data", truncate(b, maxLoggedPayload))
		}
		return err
	}
	if cmd != nil {
		d.count(1)
		if d.Stats != nil {
			d.Stats.RemoteCommands.Add(1)
		}
		d.Handler.HandleCommand(cmd)
		return nil
	}
	d.count(len(pubs))
	fh, fallible := d.Handler.(FallibleHandler)
	for i := range pubs {
		if !fallible {
			d.Handler.HandleBroadcast(&pubs[i])
			continue
		}
		if err := fh.TryBroadcast(&pubs[i]); err != nil {
			return fmt.Errorf("broadcast to %q: %w", pubs[i].Stream, err)
		}
	}
	return nil
}

// DispatchString is Dispatch for payloads that arrive as strings (rueidis
// messages) without copying them: Parse only reads its input and keeps
// nothing of it (every decoded field is a fresh string).
func (d *Dispatcher) DispatchString(s string) error {
	return d.Dispatch(jsonkit.StringBytes(s))
}

func (d *Dispatcher) count(n int) {
	switch {
	case d.Stats == nil:
	case d.Fanout:
		d.Stats.BroadcastMsg.Add(uint64(n))
	default:
		d.Stats.Publications.Add(uint64(n))
	}
}

// IsMalformed reports whether a Dispatch error is about the payload rather
// than the handler.
func IsMalformed(err error) bool { return errors.Is(err, ErrMalformed) }

func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "…"
}
