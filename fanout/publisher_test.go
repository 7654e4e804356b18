package fanout

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/encoders"
	"github.com/densecable/densecable/frames"
)

// pubSubscriber counts what the hub delivers to it.
type pubSubscriber struct {
	mu  sync.Mutex
	got int
}

func (s *pubSubscriber) ID() string                { return "sub" }
func (s *pubSubscriber) Encoder() encoders.Encoder { return encoders.NewJSON() }
func (s *pubSubscriber) Format() *Format {
	return testFormats.Get(s.Encoder(), frames.WebSocketFramer())
}
func (s *pubSubscriber) Send([]byte) {
	s.mu.Lock()
	s.got++
	s.mu.Unlock()
}
func (s *pubSubscriber) Queue(f []byte) bool { s.Send(f); return false }
func (s *pubSubscriber) Flush()              {}
func (s *pubSubscriber) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got
}

// storeBroker is a broker whose Store fails the first failures calls.
type storeBroker struct {
	broker.Broker
	failures int
	stored   []string
}

func (b *storeBroker) Store(_ context.Context, p *broker.Publication) error {
	if b.failures > 0 {
		b.failures--
		return errors.New("store failed")
	}
	p.Epoch, p.Offset = "ep", uint64(len(b.stored)+1)
	b.stored = append(b.stored, p.Stream)
	return nil
}

// recPubSub records what goes between nodes.
type recPubSub struct {
	broker.PubSub
	err  error
	pubs []broker.Publication
	cmds []broker.RemoteCommand
}

func (r *recPubSub) Broadcast(_ context.Context, p *broker.Publication) error {
	r.pubs = append(r.pubs, *p)
	return r.err
}

func (r *recPubSub) BroadcastCommand(_ context.Context, c *broker.RemoteCommand) error {
	r.cmds = append(r.cmds, *c)
	return r.err
}

func newTestPublisher(b broker.Broker, ps broker.PubSub, cmds *[]broker.RemoteCommand) (*Publisher, *Hub, *pubSubscriber) {
	h := New(Options{Gates: 2}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	sub := &pubSubscriber{}
	h.Subscribe(sub, "s", "id")
	p := NewPublisher(PublisherDeps{Hub: h, Broker: b, PubSub: ps, Commands: func(c *broker.RemoteCommand) { *cmds = append(*cmds, *c) }},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	return p, h, sub
}

func TestPublisherSingleNodeGoesStraightToHub(t *testing.T) {
	var cmds []broker.RemoteCommand
	p, h, sub := newTestPublisher(nil, nil, &cmds)
	p.HandleBroadcast(&broker.Publication{Stream: "s", Data: "1"})
	p.HandleCommand(&broker.RemoteCommand{Command: "disconnect", Identifier: "u"})
	h.Shutdown()
	if sub.count() != 1 {
		t.Fatalf("delivered %d, want 1", sub.count())
	}
	if len(cmds) != 1 || cmds[0].Identifier != "u" {
		t.Fatalf("remote command not executed on the node: %+v", cmds)
	}
}

func TestPublisherStoresThenPublishesThroughPubSub(t *testing.T) {
	var cmds []broker.RemoteCommand
	b := &storeBroker{failures: 1} // the one retry absorbs a dropped connection
	ps := &recPubSub{}
	p, h, sub := newTestPublisher(b, ps, &cmds)
	if err := p.TryBroadcast(&broker.Publication{Stream: "s", Data: "1"}); err != nil {
		t.Fatal(err)
	}
	// Transient publications (whispers, presence) skip the history.
	if err := p.TryBroadcast(&broker.Publication{Stream: "s", Data: "2", Meta: broker.Meta{Transient: true}}); err != nil {
		t.Fatal(err)
	}
	p.HandleCommand(&broker.RemoteCommand{Command: "disconnect"})
	h.Shutdown()
	if len(b.stored) != 1 {
		t.Fatalf("stored %d publications, want 1", len(b.stored))
	}
	if len(ps.pubs) != 2 || ps.pubs[0].Offset != 1 || ps.pubs[1].Offset != 0 {
		t.Fatalf("pub/sub got %+v, want the stored publication with its offset, then the transient one", ps.pubs)
	}
	if sub.count() != 0 {
		t.Fatal("with a pub/sub the hub is reached through it, not directly")
	}
	if len(ps.cmds) != 1 || len(cmds) != 0 {
		t.Fatalf("remote command: pub/sub %d, local %d; want it sent to every node", len(ps.cmds), len(cmds))
	}
	// What the pub/sub delivers on this node goes to the hub and sessions.
	p2, h2, sub2 := newTestPublisher(nil, ps, &cmds)
	p2.Local().HandleBroadcast(&ps.pubs[0])
	p2.Local().HandleCommand(&ps.cmds[0])
	h2.Shutdown()
	if sub2.count() != 1 || len(cmds) != 1 {
		t.Fatalf("local delivery: %d frames, %d commands", sub2.count(), len(cmds))
	}
}

func TestPublisherReturnsFailures(t *testing.T) {
	var cmds []broker.RemoteCommand
	p, h, sub := newTestPublisher(&storeBroker{failures: 2}, nil, &cmds)
	if err := p.TryBroadcast(&broker.Publication{Stream: "s", Data: "1"}); err == nil {
		t.Fatal("a broker that fails twice must fail the publication")
	}
	boom := errors.New("pubsub down")
	p2, h2, _ := newTestPublisher(nil, &recPubSub{err: boom}, &cmds)
	if err := p2.TryBroadcast(&broker.Publication{Stream: "s", Data: "1"}); !errors.Is(err, boom) {
		t.Fatalf("pub/sub error: got %v", err)
	}
	h.Shutdown()
	h2.Shutdown()
	if sub.count() != 0 {
		t.Fatal("a publication the broker refused was delivered")
	}
}
