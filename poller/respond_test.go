package poller

import (
	"bufio"
	"strconv"
	"strings"
	"testing"
	"time"
)

// contractHeldAnswerNotReused: Respond's buffers are pooled once the socket
// took them; an answer still waiting for a slow socket must reach its
// client intact while other answers are rendered meanwhile.
func contractHeldAnswerNotReused(t *testing.T, engine string) {
	s, h := startEngine(t, engine, Options{})
	a := rawDial(t, s, engine)
	_, _ = a.Write([]byte("GET /held HTTP/1.1\r\nHost: x\r\n\r\n"))
	hc := nextHeld(t, h)
	// A first response far larger than the socket buffers, not read yet:
	// the answer behind it waits in the pending queue.
	const filler = 32 << 20
	big := []byte("HTTP/1.1 200 OK\r\nContent-Length: " + strconv.Itoa(filler) + "\r\n\r\n")
	big = append(big, make([]byte, filler)...)
	if err := hc.c.Write(big); err != nil {
		t.Fatal(err)
	}
	hc.c.mu.Lock()
	waiting := hc.c.flushing
	hc.c.mu.Unlock()
	if !waiting {
		t.Fatal("the socket took the whole filler: the answer would not wait")
	}
	want := "answer-a:" + strings.Repeat("a", 600)
	if !hc.c.Respond(200, nil, []byte(want)) {
		t.Fatal("Respond failed")
	}
	// Other answers, rendered while a's waits.
	b := rawDial(t, s, engine)
	bb := bufio.NewReader(b)
	_ = b.SetReadDeadline(time.Now().Add(10 * time.Second))
	for i := 0; i < 20; i++ {
		body := strings.Repeat("b", 600)
		_, _ = b.Write([]byte("POST /held?respond HTTP/1.1\r\nHost: x\r\nContent-Length: 600\r\n\r\n" + body))
		if res, got := readResponse(t, bb); res.StatusCode != 200 || got != "echo:"+body {
			t.Fatalf("b's answer %d: %d %q", i, res.StatusCode, got)
		}
	}
	_ = a.SetReadDeadline(time.Now().Add(20 * time.Second))
	ab := bufio.NewReaderSize(a, 64<<10)
	if res, _ := readResponse(t, ab); res.StatusCode != 200 {
		t.Fatalf("filler: %d", res.StatusCode)
	}
	if res, got := readResponse(t, ab); res.StatusCode != 200 || got != want {
		t.Fatalf("a's answer: %d %.40q…, want %.40q…", res.StatusCode, got, want)
	}
}
