package chaos

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/densecable/densecable/bench/internal/procstat"
	"github.com/densecable/densecable/bench/internal/swarm"
)

// TestNeverReadingClientIsCutOff: one client subscribes and then never
// reads, next to 1,000 that do. The server must cut the slow one off as
// too_slow (its queue is bounded by ws_max_pending_size), deliver every
// message to the others, and keep its memory bounded although far more
// than the bound is broadcast to the slow client.
func TestNeverReadingClientIsCutOff(t *testing.T) {
	const (
		readers  = 1000
		messages = 200              // to every client, readers included
		heavy    = 400              // 256 KiB broadcasts only the slow client gets: 100 MiB
		rssBound = 48 << 20         // growth allowed while 100 MiB go to the slow client
		cutOff   = 15 * time.Second // ws_write_timeout is 2 s; generous for a loaded machine
	)
	srv := startServer(t, nil, "--public", "--norpc")

	sw := newSwarm(t, srv, pubsubIdentifier("all"), nil)
	if err := sw.Open(readers, 0, 200); err != nil {
		t.Fatal(err)
	}
	st := waitStats(t, sw, 60*time.Second, "readers subscribed", (*swarm.Stats).Settled)
	if st.Subscribed != readers {
		t.Fatalf("readers: %s", fmtStats(&st))
	}

	slow := dialSlowClient(t, srv, "all", "heavy")
	defer slow.Close()

	// Warm up (buffers, encoder caches) and take the memory baseline.
	if err := srv.broadcast("all", benchMessage("warm-up")); err != nil {
		t.Fatal(err)
	}
	waitStats(t, sw, 30*time.Second, "warm-up delivery", func(st *swarm.Stats) bool { return st.Delivered == readers })
	if err := sw.ResetMeasurements(); err != nil {
		t.Fatal(err)
	}
	base, err := procstat.Read(srv.pid())
	if err != nil {
		t.Fatal(err)
	}
	var peak atomic.Uint64
	stopSampling := sampleRSS(srv.pid(), &peak)

	start := time.Now()
	pad := strings.Repeat("p", 256<<10)
	small := strings.Repeat("s", 512)
	var cutAt time.Duration
	for i := 0; i < max(messages, heavy); i++ {
		if i < messages {
			if err := srv.broadcast("all", benchMessage(small)); err != nil {
				t.Fatal(err)
			}
		}
		if i < heavy {
			if err := srv.broadcast("heavy", []byte(`{"pad":"`+pad+`"}`)); err != nil {
				t.Fatal(err)
			}
		}
		if cutAt == 0 && i%20 == 0 {
			if v, _ := srv.metric("disconnected_slow_clients_total"); v > 0 {
				cutAt = time.Since(start)
			}
		}
	}
	waitFor(t, cutOff, "disconnected_slow_clients_total to count the slow client", func() bool {
		v, err := srv.metric("disconnected_slow_clients_total")
		return err == nil && v >= 1
	})
	if cutAt == 0 {
		cutAt = time.Since(start)
	}
	st = waitStats(t, sw, 60*time.Second, "every message at every reader", func(st *swarm.Stats) bool { return st.Delivered >= readers*messages })
	stopSampling()
	after, _ := procstat.Read(srv.pid())
	growth := int64(peak.Load()) - int64(base.RSS)
	t.Logf("slow client cut off after %v; server RSS %d MiB before, peak %d MiB, %d MiB after (growth %d MiB while %d MiB went to the slow client)",
		cutAt.Round(time.Millisecond), base.RSS>>20, peak.Load()>>20, after.RSS>>20, growth>>20, heavy*len(pad)>>20)

	if v, _ := srv.metric("disconnected_slow_clients_total"); v != 1 {
		t.Errorf("disconnected_slow_clients_total = %v, want exactly 1 (only the client that never reads)", v)
	}
	if st.Delivered != readers*messages || st.Alive != readers || st.Dropped != 0 || st.BadMsgs != 0 {
		t.Errorf("readers: want %d deliveries and no drop: %s", readers*messages, fmtStats(&st))
	}
	if v, _ := srv.metric("clients_num"); v != readers {
		t.Errorf("clients_num = %v, want %d (the slow client gone)", v, readers)
	}
	if growth > rssBound {
		t.Errorf("server RSS grew by %d MiB (bound %d MiB): the slow client's queue is not bounded", growth>>20, rssBound>>20)
	}

	// The slow client finally reads: whatever the kernel still holds, then
	// the end of the connection (a too_slow disconnect and close frame if
	// the server could still send them, else a reset), within a bound.
	reason, err := slow.drainToEnd(20 * time.Second)
	if err != nil {
		t.Fatalf("slow client connection did not end: %v", err)
	}
	t.Logf("slow client saw: %s", reason)
	if strings.Contains(reason, "disconnect") && !strings.Contains(reason, "too_slow") {
		t.Errorf("slow client got a disconnect other than too_slow: %s", reason)
	}
}

// sampleRSS records the peak RSS of pid every 20 ms until the returned stop.
func sampleRSS(pid int, peak *atomic.Uint64) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			if s, err := procstat.Read(pid); err == nil && s.RSS > peak.Load() {
				peak.Store(s.RSS)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}

// slowClient is a WebSocket client with a tiny receive buffer that stops
// reading once subscribed.
type slowClient struct {
	net.Conn
	rd *bufio.Reader
}

func dialSlowClient(t *testing.T, srv *server, streams ...string) *slowClient {
	t.Helper()
	d := ws.Dialer{
		Timeout: 10 * time.Second,
		NetDial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			nd := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
				var serr error
				// Before connect, so the advertised window stays small.
				err := rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
				return errors.Join(err, serr)
			}}
			return nd.DialContext(ctx, network, addr)
		},
	}
	conn, br, _, err := d.Dial(context.Background(), fmt.Sprintf("ws://%s/cable", srv.addr()))
	if err != nil {
		t.Fatalf("slow client dial: %v", err)
	}
	c := &slowClient{Conn: conn, rd: br}
	if c.rd == nil {
		c.rd = bufio.NewReader(conn)
	}
	c.expect(t, `"welcome"`)
	for _, s := range streams {
		cmd := fmt.Sprintf(`{"command":"subscribe","identifier":%q}`, pubsubIdentifier(s))
		if err := wsutil.WriteClientText(conn, []byte(cmd)); err != nil {
			t.Fatal(err)
		}
		c.expect(t, `"confirm_subscription"`)
	}
	return c
}

// expect reads messages until one contains want.
func (c *slowClient) expect(t *testing.T, want string) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		msg, op, err := wsutil.ReadServerData(struct {
			io.Reader
			io.Writer
		}{c.rd, c.Conn})
		if err != nil {
			t.Fatalf("slow client waiting for %s: %v", want, err)
		}
		if op == ws.OpText && strings.Contains(string(msg), want) {
			return
		}
	}
}

// drainToEnd reads frames until the connection ends; it reports the last
// disconnect message and how the connection ended, or an error if it is
// still open after d.
func (c *slowClient) drainToEnd(d time.Duration) (string, error) {
	_ = c.SetReadDeadline(time.Now().Add(d))
	var last string
	for {
		h, err := ws.ReadHeader(c.rd)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return "", err
			}
			return last + " then " + err.Error(), nil
		}
		p := make([]byte, h.Length)
		if _, err := io.ReadFull(c.rd, p); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return "", err
			}
			return last + " then " + err.Error(), nil
		}
		switch {
		case h.OpCode == ws.OpClose:
			return last + fmt.Sprintf(" then close frame %x", p), nil
		case strings.Contains(string(p), `"type":"disconnect"`):
			last = string(p)
		}
	}
}
