package webhooks

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/densecable/densecable/api/pusher"
	"github.com/densecable/densecable/broker/brokertest"
	"github.com/densecable/densecable/broker/store/memory"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type received struct {
	mu     sync.Mutex
	events []map[string]string
	bad    int
}

func (r *received) all() []map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]map[string]string(nil), r.events...)
}

// receiver checks each webhook's headers and signature like the SDK's
// webhook() helper, answering 500 to the first fail requests.
func receiver(t *testing.T, fail int32) (*httptest.Server, *received) {
	r := &received{}
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if calls.Add(1) <= fail {
			w.WriteHeader(500)
			return
		}
		body, _ := io.ReadAll(req.Body)
		var doc struct {
			TimeMS int64               `json:"time_ms"`
			Events []map[string]string `json:"events"`
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if req.Header.Get("Content-Type") != "application/json" || req.Header.Get("X-Pusher-Key") != "key" ||
			req.Header.Get("X-Pusher-Signature") != pusher.Sign("secret", body) ||
			json.Unmarshal(body, &doc) != nil || doc.TimeMS == 0 {
			r.bad++
			w.WriteHeader(401)
			return
		}
		r.events = append(r.events, doc.Events...)
	}))
	t.Cleanup(srv.Close)
	return srv, r
}

// Every event type reaches the receiver signed, in Pusher's shape, after
// the receiver's first failures (retries).
func TestObserverSendsSignedWebhooksWithRetries(t *testing.T) {
	srv, got := receiver(t, 2)
	s := New(Options{URLs: []string{srv.URL}, Key: "key", Secret: "secret", Retries: 3, RetryDelay: time.Millisecond}, quiet)
	s.Start()
	tr := pusher.NewTracker(memory.NewOccupancy(), nil, quiet)
	tr.Start()
	defer tr.Stop()
	o := NewObserver(tr, s)
	o.StreamOccupied("presence-room")
	brokertest.Eventually(t, "occupied", 10*time.Second, func() bool { return len(got.all()) == 1 })
	o.PresenceJoined("presence-room", "u1", []byte(`{"n":1}`))
	o.ClientEvent("presence-room", "client-typing", []byte(`{"a":"<b>"}`), "1.2", "u1")
	o.PresenceLeft("presence-room", "u1")
	o.PresenceJoined("not-presence", "u9", nil) // not a Pusher presence channel
	o.StreamVacated("presence-room")
	brokertest.Eventually(t, "all events", 10*time.Second, func() bool { return len(got.all()) == 5 })
	want := []map[string]string{
		{"name": "channel_occupied", "channel": "presence-room"},
		{"name": "member_added", "channel": "presence-room", "user_id": "u1"},
		{"name": "client_event", "channel": "presence-room", "event": "client-typing", "data": `{"a":"<b>"}`, "socket_id": "1.2", "user_id": "u1"},
		{"name": "member_removed", "channel": "presence-room", "user_id": "u1"},
		{"name": "channel_vacated", "channel": "presence-room"},
	}
	for i, e := range got.all() {
		if len(e) != len(want[i]) {
			t.Fatalf("event %d: %v, want %v", i, e, want[i])
		}
		for k, v := range want[i] {
			if e[k] != v {
				t.Fatalf("event %d: %v, want %v", i, e, want[i])
			}
		}
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.Stats().Sent.Load() != 5 || s.Stats().Failed.Load() != 0 || got.bad != 0 {
		t.Fatalf("sent %d failed %d bad %d", s.Stats().Sent.Load(), s.Stats().Failed.Load(), got.bad)
	}
}

// A receiver that keeps failing: the batch is given up after the retries
// (1 + Retries requests) and counted.
func TestGivesUpAfterRetries(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		w.WriteHeader(503)
	}))
	defer srv.Close()
	s := New(Options{URLs: []string{srv.URL}, Key: "key", Secret: "secret", Retries: 3, RetryDelay: time.Millisecond}, quiet)
	s.Start()
	s.Add(Event{Name: ChannelOccupied, Channel: "c"})
	brokertest.Eventually(t, "given up", 10*time.Second, func() bool { return s.Stats().Failed.Load() == 1 })
	if n := calls.Load(); n != 4 {
		t.Fatalf("requests: %d, want 4", n)
	}
	_ = s.Shutdown(context.Background())
}

// The queue keeps the newest QueueSize events and counts the dropped.
func TestQueueDropsOldest(t *testing.T) {
	s := New(Options{QueueSize: 3, Key: "key", Secret: "secret"}, quiet) // not started: nothing drains
	for _, c := range []string{"a", "b", "c", "d", "e"} {
		s.Add(Event{Name: ChannelOccupied, Channel: c})
	}
	if d := s.Stats().Dropped.Load(); d != 2 {
		t.Fatalf("dropped %d, want 2", d)
	}
	got := s.q.pop(10)
	if len(got) != 3 || got[0].Channel != "c" || got[2].Channel != "e" {
		t.Fatalf("kept %+v", got)
	}
	if err := s.Shutdown(context.Background()); err != nil { // never started: returns at once
		t.Fatal(err)
	}
}

// --pusher_webhook_events: only the chosen names are queued.
func TestEventFilter(t *testing.T) {
	s := New(Options{Events: []string{MemberAdded}, Key: "key", Secret: "secret"}, quiet)
	s.Add(Event{Name: ChannelOccupied, Channel: "c"})
	s.Add(Event{Name: MemberAdded, Channel: "presence-c", UserID: "1"})
	if got := s.q.pop(10); len(got) != 1 || got[0].Name != MemberAdded {
		t.Fatalf("queued %+v", got)
	}
}

// Body is valid JSON with Go's escaping of the strings.
func TestBodyShape(t *testing.T) {
	b := Body(12, []Event{{Name: ClientEvent, Channel: "private-x", Event: "client-e", Data: "\"q\"\n"}})
	want := `{"time_ms":12,"events":[{"name":"client_event","channel":"private-x","event":"client-e","data":"\"q\"\n"}]}`
	if string(b) != want {
		t.Fatalf("got %s\nwant %s", b, want)
	}
}
