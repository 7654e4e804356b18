package pubsub

import (
	"context"
	"sync/atomic"

	"github.com/densecable/densecable/broker"
)

// Local is the pub/sub of a single node: there is nobody else to tell, so
// Broadcast and BroadcastCommand call the handler at once.
type Local struct {
	h atomic.Pointer[handlerBox]
}

type handlerBox struct{ h broker.Handler }

var _ broker.PubSub = (*Local)(nil)

// NewLocal returns a Local pub/sub; nothing is delivered before Start.
func NewLocal() *Local { return &Local{} }

// Start sets the handler.
func (l *Local) Start(_ context.Context, h broker.Handler) error {
	l.h.Store(&handlerBox{h})
	return nil
}

// Shutdown stops delivering.
func (l *Local) Shutdown(context.Context) error {
	l.h.Store(nil)
	return nil
}

// Subscribe does nothing: every publication is local.
func (*Local) Subscribe(string) {}

// Unsubscribe does nothing.
func (*Local) Unsubscribe(string) {}

// Broadcast hands p to the handler (dropped before Start or after Shutdown).
func (l *Local) Broadcast(_ context.Context, p *broker.Publication) error {
	if b := l.h.Load(); b != nil {
		b.h.HandleBroadcast(p)
	}
	return nil
}

// BroadcastCommand hands c to the handler.
func (l *Local) BroadcastCommand(_ context.Context, c *broker.RemoteCommand) error {
	if b := l.h.Load(); b != nil {
		b.h.HandleCommand(c)
	}
	return nil
}
