package sessions

import (
	"log/slog"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/densecable/densecable/frames"
)

func TestFilterCookiesReproducesReference(t *testing.T) {
	// The reference splits on ';' without trimming, so only the first
	// cookie can match a name after a "; ".
	got := filterCookies("session=abc; other=1; third=2", []string{"session", "other"})
	if got != "session=abc;" {
		t.Fatalf("got %q", got)
	}
	if got := filterCookies("a=1;b=2;c=x=y", []string{"b", "c"}); got != "b=2;" {
		t.Fatalf("got %q", got)
	}
}

func TestEnvHeaders(t *testing.T) {
	req := &frames.Request{Headers: []frames.Header{{Key: "cookie", Value: "s=1"}, {Key: "x-api", Value: ""}, {Key: "origin", Value: "o"}}}
	got := envHeaders(req, "10.0.0.1", []string{"cookie", "x-api"}, nil)
	want := []frames.Header{{Key: "cookie", Value: "s=1"}, {Key: "REMOTE_ADDR", Value: "10.0.0.1"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v", got)
	}
}

func TestMergeState(t *testing.T) {
	s := mergeState(nil, map[string]string{"a": "1", "b": "2"})
	s = mergeState(s, map[string]string{"a": "", "c": "3"})
	if !reflect.DeepEqual(s, map[string]string{"b": "2", "c": "3"}) {
		t.Fatalf("got %v", s)
	}
	if s = mergeState(s, map[string]string{"b": "", "c": ""}); s != nil {
		t.Fatalf("empty state must be nil, got %v", s)
	}
}

func TestRequestURL(t *testing.T) {
	req := &frames.Request{Host: "127.0.0.1:8080", URI: "/cable?foo=bar"}
	if got := requestURL(req, false); got != "http://127.0.0.1:8080/cable?foo=bar" {
		t.Fatal(got)
	}
	if got := requestURL(req, true); got != "https://127.0.0.1:8080/cable?foo=bar" {
		t.Fatal(got)
	}
}

func TestNewSIDAlphabet(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		s := newSID()
		if len(s) != 21 || seen[s] {
			t.Fatalf("bad sid %q", s)
		}
		seen[s] = true
		for _, c := range s {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
				t.Fatalf("bad char in %q", s)
			}
		}
	}
}

// The executor runs one session's tasks one at a time, all of them.
func TestExecutorRunsEachSessionSerially(t *testing.T) {
	e := newExecutor(8)
	const sessions, tasks = 20, 200
	var wg sync.WaitGroup
	wg.Add(sessions * tasks)
	node := &Node{exec: e}
	counts := make([]int, sessions)
	busy := make([]bool, sessions)
	var mu sync.Mutex
	ss := make([]*Session, sessions)
	hooks := make([]func(), sessions)
	for i := range ss {
		i := i
		ss[i] = &Session{node: node}
		hooks[i] = func() {
			defer wg.Done()
			mu.Lock()
			if busy[i] {
				t.Error("two tasks of one session ran at once")
			}
			busy[i] = true
			mu.Unlock()
			mu.Lock()
			counts[i]++
			busy[i] = false
			mu.Unlock()
		}
	}
	for n := 0; n < tasks; n++ {
		for i, s := range ss {
			s.push(task{kind: taskTest, hook: hooks[i]})
		}
	}
	wg.Wait()
	e.close()
	for i, c := range counts {
		if c != tasks {
			t.Fatalf("session %d ran %d tasks", i, c)
		}
	}
}

// A mass disconnect must not block the worker that queues Disconnect calls.
func TestDisconnectQueueNeverBlocks(t *testing.T) {
	n := &Node{log: slog.New(slog.DiscardHandler)}
	q := &disconnectQueue{n: n, backlog: 2, stop: make(chan struct{}), done: make(chan struct{})}
	done := make(chan struct{})
	go func() {
		for i := 0; i < 100; i++ {
			q.enqueue(&Session{sid: newSID()}, nil)
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("enqueue blocked past the backlog size")
	}
	if got := n.stats.DisconnectQueue.Load(); got != 100 {
		t.Fatalf("queue size %d, want 100 (nothing dropped)", got)
	}
	for i := 0; i < 100; i++ {
		if _, ok := q.pop(); !ok {
			t.Fatalf("job %d lost", i)
		}
	}
	if _, ok := q.pop(); ok || n.stats.DisconnectQueue.Load() != 0 {
		t.Fatal("queue not empty after popping everything")
	}
}
