package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// Bad client kinds, started in turn.
var badKinds = []string{"garbage", "partial", "flood", "unread"}

// maxBadInFlight bounds the bad clients of one kind alive at once.
const maxBadInFlight = 10

// badStats counts, per kind, how bad clients ended: "server" when the
// server closed the connection (what it should do), "held" when the client
// gave up after --bad-hold with the connection still open, "error" when it
// could not even start, "cut" when the soak ended first (not counted).
type badStats struct {
	mu     sync.Mutex
	counts map[string]map[string]int
}

func (b *badStats) add(kind, how string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.counts == nil {
		b.counts = map[string]map[string]int{}
	}
	if b.counts[kind] == nil {
		b.counts[kind] = map[string]int{}
	}
	b.counts[kind][how]++
}

func (b *badStats) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := ""
	for _, k := range badKinds {
		c := b.counts[k]
		if out != "" {
			out += " "
		}
		out += fmt.Sprintf("%s=%d/%d/%d", k, c["server"], c["held"], c["error"])
	}
	return out + " (closed by server/held/error)"
}

// held reports how many bad clients of kind the server never closed.
func (b *badStats) held(kind string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.counts[kind]["held"]
}

func (s *soak) badLoop(ctx context.Context) {
	tick := time.NewTicker(s.o.badEvery)
	defer tick.Stop()
	inFlight := map[string]*atomic.Int32{}
	for _, k := range badKinds {
		inFlight[k] = new(atomic.Int32)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		kind := badKinds[i%len(badKinds)]
		n := inFlight[kind]
		if n.Load() >= maxBadInFlight {
			continue
		}
		n.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer n.Add(-1)
			s.bad.add(kind, s.badClient(ctx, kind))
		}()
	}
}

// badClient runs one misbehaving client and reports how it ended.
func (s *soak) badClient(ctx context.Context, kind string) string {
	c, err := s.badDial(kind)
	if err != nil {
		return "error"
	}
	defer c.Close()
	hold := s.o.badHold
	switch kind {
	case "garbage":
		// Not HTTP at all: the server should answer or close at once.
		junk := make([]byte, 512)
		_, _ = rand.Read(junk)
		_, _ = c.Write(append(junk, "\r\n\r\n"...))
		return waitServerClose(ctx, c, hold)
	case "partial":
		// A frame header announcing 60,000 bytes, 1,000 of them, then
		// silence (ws_frame_timeout should end it).
		hdr := ws.Header{Fin: true, OpCode: ws.OpText, Masked: true, Mask: ws.NewMask(), Length: 60000}
		_ = ws.WriteHeader(c, hdr)
		_, _ = c.Write(make([]byte, 1000))
		return waitServerClose(ctx, c, hold)
	case "flood":
		// Commands as fast as the socket takes them, never reading.
		msg := fmt.Sprintf(`{"command":"subscribe","identifier":%q}`, benchIdentifier)
		_ = wsutil.WriteClientText(c, []byte(msg))
		echo := []byte(fmt.Sprintf(`{"command":"message","identifier":%q,"data":"{\"action\":\"echo\"}"}`, benchIdentifier))
		_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		for i := 0; i < 5000 && ctx.Err() == nil; i++ {
			if err := wsutil.WriteClientText(c, echo); err != nil {
				return "server"
			}
		}
		return waitServerClose(ctx, c, hold)
	case "unread":
		// Subscribed, tiny receive buffer, never reads: the server must
		// cut it off (too_slow / write timeout) once the heavy stream fills
		// its queue.
		for _, id := range []string{benchIdentifier, heavyIdentifier} {
			_ = wsutil.WriteClientText(c, []byte(fmt.Sprintf(`{"command":"subscribe","identifier":%q}`, id)))
		}
		select {
		case <-ctx.Done():
			return "cut"
		case <-time.After(hold):
		}
		// Now read: a connection the server cut off ends quickly.
		return waitServerClose(ctx, c, 10*time.Second)
	}
	return "error"
}

// badDial opens the connection a kind of bad client misbehaves on.
func (s *soak) badDial(kind string) (net.Conn, error) {
	switch kind {
	case "garbage":
		return net.DialTimeout("tcp", s.host, 5*time.Second)
	case "partial", "flood":
		return s.upgrade(0)
	case "unread":
		return s.upgrade(4096)
	}
	return nil, fmt.Errorf("unknown bad client kind %q", kind)
}

// upgrade opens a WebSocket on /cable. rcvBuf > 0 shrinks the socket's
// receive buffer to that many bytes, so that a client that never reads
// backs up into the server's write queue soon.
func (s *soak) upgrade(rcvBuf int) (net.Conn, error) {
	d := ws.Dialer{Timeout: 5 * time.Second, Protocols: []string{"actioncable-v1-json"}}
	if rcvBuf > 0 {
		d.NetDial = func(ctx context.Context, network, addr string) (net.Conn, error) {
			nd := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
				var serr error
				err := rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvBuf) })
				return errors.Join(err, serr)
			}}
			return nd.DialContext(ctx, network, addr)
		}
	}
	c, br, _, err := d.Dial(context.Background(), "ws://"+s.host+"/cable")
	if err != nil {
		return nil, err
	}
	if br != nil {
		ws.PutReader(br)
	}
	return c, nil
}

// waitServerClose reads and discards until the server closes the
// connection ("server") or hold passes ("held").
func waitServerClose(ctx context.Context, c net.Conn, hold time.Duration) string {
	deadline := time.Now().Add(hold)
	rd := bufio.NewReader(c)
	for {
		if ctx.Err() != nil {
			return "cut"
		}
		next := time.Now().Add(time.Second)
		if deadline.Before(next) {
			next = deadline
		}
		_ = c.SetReadDeadline(next)
		_, err := io.Copy(io.Discard, rd)
		var ne net.Error
		if err == nil || !errors.As(err, &ne) || !ne.Timeout() {
			return "server"
		}
		if time.Now().After(deadline) {
			return "held"
		}
	}
}
