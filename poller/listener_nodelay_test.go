package poller

import (
	"log/slog"
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Accepted sockets get TCP_NODELAY from the listening socket (no
// setsockopt per connection): small frames must not wait for Nagle.
func TestAcceptedConnsHaveNoDelay(t *testing.T) {
	var st Stats
	l, err := newListener("127.0.0.1:0", nil, false, 0, &st, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.nodelayEach {
		t.Fatal("TCP_NODELAY could not be set on the listening socket")
	}
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		nc, err := l.accept()
		if err != nil {
			t.Fatal(err)
		}
		if nc != nil {
			fd := nc.(*acceptedConn).fd
			defer unix.Close(fd)
			v, err := unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY)
			if err != nil || v == 0 {
				t.Fatalf("accepted socket: TCP_NODELAY = %d (%v), want on", v, err)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no connection accepted")
		}
		time.Sleep(time.Millisecond) // polling a non-blocking accept, not a fixed wait
	}
}
