package sessions

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"unsafe"

	"github.com/densecable/densecable/rpcclient/rpcpb"
)

// copyingRPC answers every subscribe with the stream "room" in a fresh
// string, as a decoded RPC reply is.
type copyingRPC struct{ appRPC }

func (r *copyingRPC) Command(ctx context.Context, sid string, m *rpcpb.CommandMessage) (*rpcpb.CommandResponse, error) {
	res, err := r.appRPC.Command(ctx, sid, m)
	if m.GetCommand() == "subscribe" {
		res.Streams = []string{strings.Clone("room")}
	}
	return res, err
}

// Subscribers of one channel and stream share one identifier string and
// one stream name, not a copy each (idle memory per connection): the
// identifier is interned, the stream name is the fanout table's.
func TestSubscribersShareIdentifierAndStream(t *testing.T) {
	n, _ := newTestNode(t, Options{}, Deps{RPC: &copyingRPC{}})
	const id = `{"channel":"Room"}`
	type view struct{ id, stream *byte }
	var views []view
	for i := 0; i < 2; i++ {
		s, c := connect(n, "/cable")
		welcomed(t, c)
		// A fresh buffer per client, as the transport hands it over.
		s.Receive([]byte(`{"command":"subscribe","identifier":` + quote(id) + `}`))
		waitFor(t, "confirmation", func() bool {
			_, ok := c.find(`{"identifier":` + quote(id) + `,"type":"confirm_subscription"}`)
			return ok
		})
		got := make(chan view, 1)
		s.push(task{kind: taskTest, hook: func() {
			ch := s.channels.get(id)
			if ch == nil || len(ch.streams) != 1 || ch.identifier() != id || ch.streams[0] != "room" {
				t.Errorf("session %d: channel %+v", i, ch)
				got <- view{}
				return
			}
			got <- view{unsafe.StringData(ch.identifier()), unsafe.StringData(ch.streams[0])}
		}})
		views = append(views, <-got)
	}
	if views[0].id == nil || views[0].id != views[1].id {
		t.Errorf("identifier strings not shared: %p %p", views[0].id, views[1].id)
	}
	if views[0].stream == nil || views[0].stream != views[1].stream {
		t.Errorf("stream names not shared: %p %p", views[0].stream, views[1].stream)
	}
}

// A session's subscriptions: a slice for a few, a map index past
// indexAbove (a client chooses how many it has), order kept on removal.
func TestSubscriptionsListAndIndex(t *testing.T) {
	var s subscriptions
	ids := make([]string, 3*indexAbove)
	for i := range ids {
		ids[i] = fmt.Sprintf(`{"channel":"C%d"}`, i)
		if s.get(ids[i]) != nil {
			t.Fatalf("%s found before add", ids[i])
		}
		s.add(newChannel(ids[i]))
		if (s.index != nil) != (s.len() > indexAbove) {
			t.Fatalf("%d subscriptions, index %v", s.len(), s.index != nil)
		}
	}
	for _, id := range ids {
		if c := s.get(id); c == nil || c.identifier() != id {
			t.Fatalf("get %s: %v", id, c)
		}
	}
	// Remove every other one, then the rest: lookups and order hold, and
	// the index goes away once the list is short again.
	for i := 0; i < len(ids); i += 2 {
		s.remove(ids[i])
		s.remove(ids[i]) // twice: no effect
	}
	for i, id := range ids {
		if (s.get(id) != nil) != (i%2 == 1) {
			t.Fatalf("after removal, get %s = %v", id, s.get(id))
		}
	}
	for i, c := range s.list {
		if c.identifier() != ids[2*i+1] {
			t.Fatalf("order: %d is %s", i, c.identifier())
		}
	}
	for i := 1; i < len(ids); i += 2 {
		s.remove(ids[i])
	}
	if s.len() != 0 || s.list != nil || s.index != nil {
		t.Fatalf("not empty: %d %v", s.len(), s.index != nil)
	}
}
