package e2e

import (
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"
)

// agent drives @anycable/core cables in js/cable_agent.mjs, one command
// at a time (see the script for the commands).
type agent struct {
	*nodeScript
	seq int
}

// startAgent starts the agent; it is killed when the test ends at the
// latest, and after timeout in any case.
func startAgent(t *testing.T, timeout time.Duration) *agent {
	t.Helper()
	return &agent{nodeScript: startNode(t, timeout, "cable_agent.mjs")}
}

// do runs one command and returns the agent's answer. A failed command
// fails the test with the agent's message.
func (a *agent) do(op string, args map[string]any) event {
	a.t.Helper()
	a.seq++
	cmd := map[string]any{"seq": a.seq, "op": op}
	for k, v := range args {
		cmd[k] = v
	}
	a.send(jsonOf(cmd))
	return a.await("r" + strconv.Itoa(a.seq))
}

// quit ends the agent and waits for a clean exit.
func (a *agent) quit() {
	a.t.Helper()
	a.send(`{"op":"quit"}`)
	a.finish()
}

// received is one message a cable got: the broadcast data and the
// extended protocol's position.
type received struct {
	Message json.RawMessage `json:"message"`
	Meta    *struct {
		Stream string `json:"stream"`
		Epoch  string `json:"epoch"`
		Offset int64  `json:"offset"`
	} `json:"meta"`
}

func (r received) String() string {
	if r.Meta == nil {
		return string(r.Message) + "@-"
	}
	return fmt.Sprintf("%s@%s/%d", r.Message, r.Meta.Epoch, r.Meta.Offset)
}

// take returns the next count messages of cable on stream, in arrival
// order.
func (a *agent) take(cable, stream string, count int) []received {
	a.t.Helper()
	e := a.do("take", map[string]any{"cable": cable, "stream": stream, "count": count})
	var out []received
	if err := json.Unmarshal([]byte(jsonOf(e["messages"])), &out); err != nil {
		a.t.Fatalf("take: %v", err)
	}
	return out
}

// expectMessages takes len(want) messages and checks that they are want,
// in order, each with a position that follows the previous one in the same
// epoch (after prev, when prev is not nil). It returns the last position.
func (a *agent) expectMessages(cable, stream string, prev *received, want ...any) *received {
	a.t.Helper()
	got := a.take(cable, stream, len(want))
	for i, r := range got {
		if string(r.Message) != jsonOf(want[i]) {
			a.t.Fatalf("%s on %s: message %d is %s, want %s (got %v)", cable, stream, i+1, r.Message, jsonOf(want[i]), got)
		}
		if r.Meta == nil || r.Meta.Epoch == "" || r.Meta.Offset <= 0 || r.Meta.Stream != stream {
			a.t.Fatalf("%s on %s: message %s has no stream position", cable, stream, r)
		}
		if prev != nil && (r.Meta.Epoch != prev.Meta.Epoch || r.Meta.Offset != prev.Meta.Offset+1) {
			a.t.Fatalf("%s on %s: %s follows %s: a gap or a new epoch (got %v)", cable, stream, r, prev, got)
		}
		prev = &got[i]
	}
	return prev
}

// expectNothingPending checks that cable has no unread messages on stream
// (no duplicates arrived with what was expected).
func (a *agent) expectNothingPending(cable, stream string) {
	a.t.Helper()
	if n := a.do("pending", map[string]any{"cable": cable, "stream": stream})["count"]; n != float64(0) {
		a.t.Errorf("%s on %s: %v unexpected messages (duplicates?): %v", cable, stream, n, a.take(cable, stream, int(n.(float64))))
	}
}
