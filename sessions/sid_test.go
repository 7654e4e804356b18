package sessions

import (
	"context"
	"strings"
	"testing"

	"github.com/gobwas/ws"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/broker/store/memory"
)

func welcomeSid(t *testing.T, c *fakeConn) string {
	t.Helper()
	w := welcomed(t, c)
	const prefix = `"sid":"`
	i := strings.Index(w.payload, prefix)
	if i < 0 {
		t.Fatalf("welcome without sid: %s", w.payload)
	}
	rest := w.payload[i+len(prefix):]
	return rest[:strings.IndexByte(rest, '"')]
}

func TestRequestIDBecomesSidOnlyWhenValid(t *testing.T) {
	n, _ := newTestNode(t, Options{Workers: 2}, Deps{Authenticators: []Authenticator{okAuth{}}})
	long := strings.Repeat("a", 64)
	for _, id := range []string{"my-req-1", "A_b-9", "x", long} {
		if got := welcomeSid(t, func() *fakeConn { _, c := connect(n, "/cable", "X-Request-ID", id); return c }()); got != id {
			t.Errorf("X-Request-ID %q: sid %q", id, got)
		}
	}
	for _, id := range []string{long + "b", "a b", "a.b", "a/b", "é", "a\"b", "<script>", "a\x00"} {
		got := welcomeSid(t, func() *fakeConn { _, c := connect(n, "/cable", "X-Request-ID", id); return c }())
		if got == id || len(got) != 21 {
			t.Errorf("X-Request-ID %q: sid %q, want a generated one", id, got)
		}
	}
}

func TestRequestIDOfALiveSessionIsNotReused(t *testing.T) {
	n, _ := newTestNode(t, Options{Workers: 2}, Deps{Authenticators: []Authenticator{okAuth{}}})
	first, c1 := connect(n, "/cable", "X-Request-ID", "dup-id")
	if got := welcomeSid(t, c1); got != "dup-id" {
		t.Fatalf("first sid %q", got)
	}
	_, c2 := connect(n, "/cable", "X-Request-ID", "dup-id")
	if got := welcomeSid(t, c2); got == "dup-id" {
		t.Fatal("a second live session got the same sid")
	}
	// Two sessions opened back to back (the first still authenticating)
	// get different sids.
	_, c4 := connect(n, "/cable", "X-Request-ID", "pair-id")
	_, c5 := connect(n, "/cable", "X-Request-ID", "pair-id")
	if a, b := welcomeSid(t, c4), welcomeSid(t, c5); a == b {
		t.Fatalf("two sessions share the sid %q", a)
	}
	// Once the first is gone, its id is free again.
	first.OnClose()
	waitFor(t, "first session cleaned up", func() bool {
		n.sidMu.Lock()
		defer n.sidMu.Unlock()
		_, live := n.sids["dup-id"]
		return !live
	})
	_, c3 := connect(n, "/cable", "X-Request-ID", "dup-id")
	if got := welcomeSid(t, c3); got != "dup-id" {
		t.Fatalf("sid after the first left: %q", got)
	}
	_ = ws.OpText
}

// A cached (restorable) session's sid is not given to another client: it
// would overwrite that client's snapshot.
func TestRequestIDOfACachedSessionIsNotReused(t *testing.T) {
	b := memory.New(broker.Options{SessionsTTL: 300, HistoryLimit: 10, HistoryTTL: 60, PresenceTTL: 15}, nil, nil)
	if err := b.CommitSession(context.Background(), "cached-id", []byte(`{"ids":"{\"user\":\"owner\"}"}`)); err != nil {
		t.Fatal(err)
	}
	n, _ := newTestNode(t, Options{Workers: 2, SessionsTTL: 300}, Deps{Authenticators: []Authenticator{okAuth{}}, Broker: b})
	_, c := connect(n, "/cable", "X-Request-ID", "cached-id")
	if got := welcomeSid(t, c); got == "cached-id" || len(got) != 21 {
		t.Fatalf("sid %q, want a generated one", got)
	}
	_, c2 := connect(n, "/cable", "X-Request-ID", "fresh-id")
	if got := welcomeSid(t, c2); got != "fresh-id" {
		t.Fatalf("sid %q, want fresh-id", got)
	}
}

// Every session frees its sid, rejected ones included: the registry does
// not grow with churn.
func TestSidRegistryFreedOnClose(t *testing.T) {
	accepting, _ := newTestNode(t, Options{Workers: 2}, Deps{Authenticators: []Authenticator{okAuth{}}})
	rejecting, _ := newTestNode(t, Options{Workers: 2}, Deps{}) // no auth, no RPC: unauthorized
	for _, n := range []*Node{accepting, rejecting} {
		var conns []*fakeConn
		for i := 0; i < 20; i++ {
			_, c := connect(n, "/cable", "X-Request-ID", "churn-"+string(rune('a'+i)))
			conns = append(conns, c)
			_, c = connect(n, "/cable")
			conns = append(conns, c)
		}
		for _, c := range conns {
			c.Close(1000, "")
		}
		waitFor(t, "every sid freed", func() bool {
			n.sidMu.Lock()
			defer n.sidMu.Unlock()
			return len(n.sids) == 0
		})
	}
}
