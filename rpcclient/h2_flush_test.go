package rpcclient

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingConn counts the writes made on a connection.
type countingConn struct {
	net.Conn
	writes atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

func newCountedH2Conn(t *testing.T, addr string) (*h2conn, *countingConn) {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	cc := &countingConn{Conn: nc}
	c, err := newH2Conn(cc, addr, 0, func(*h2conn, bool) {})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.close)
	return c, cc
}

// waitWritesIdle waits until c has read the server's SETTINGS and written
// everything it queued in answer (no write in progress or pending).
func waitWritesIdle(t *testing.T, c *h2conn) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.wmu.Lock()
		idle := c.frames.Load() > 0 && !c.flushing && !c.queued && len(c.wbuf.b) == 0
		c.wmu.Unlock()
		if idle {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("connection's writes not idle within 10 s")
		}
		time.Sleep(time.Millisecond)
	}
}

// A call with no other in flight is written by its caller before start
// returns: batching adds no latency to an idle connection.
func TestH2LoneCallIsWrittenAtOnce(t *testing.T) {
	srv := startSilentH2(t)
	c, cc := newCountedH2Conn(t, srv.addr)
	waitWritesIdle(t, c)
	before := cc.writes.Load()
	if err := c.start(getH2Call(), pathCommand, "s", time.Time{}, 0, []byte{0, 0, 0, 0, 0}, nil); err != nil {
		t.Fatal(err)
	}
	if n := cc.writes.Load() - before; n != 1 {
		t.Fatalf("%d writes when start returned, want 1", n)
	}
	receive(t, srv.headers, "request")
}

// Calls that start together while another is in flight share writes: the
// flusher yields to the callers already runnable before it writes, so 50
// calls take far fewer than 50 writes (about one each when every call
// writes its own frames and the callers take turns on the CPUs).
func TestH2CallsUnderLoadShareWrites(t *testing.T) {
	srv := startSilentH2(t)
	c, cc := newCountedH2Conn(t, srv.addr)
	if err := c.start(getH2Call(), pathCommand, "s", time.Time{}, 0, []byte{0, 0, 0, 0, 0}, nil); err != nil {
		t.Fatal(err)
	}
	receive(t, srv.headers, "first request")
	before := cc.writes.Load()

	const calls = 50
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if err := c.start(getH2Call(), pathCommand, "s", time.Time{}, 0, []byte{0, 0, 0, 0, 0}, nil); err != nil {
				t.Error(err)
			}
		}()
	}
	close(start)
	wg.Wait()
	for range calls {
		receive(t, srv.headers, "request")
	}
	// Measured: 1–9 writes (1–14 with -race); every call writing its own
	// frames took 31–50.
	if n := cc.writes.Load() - before; n > calls/2 {
		t.Fatalf("%d calls took %d writes, want at most %d", calls, n, calls/2)
	}
}
