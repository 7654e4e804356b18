package poller

import (
	"context"
	"fmt"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// ListenTCP binds addr; with reusePort it sets SO_REUSEPORT before bind, so
// several processes (each with the flag) bind the same address and the
// kernel spreads new connections among their listeners. One process holds
// about as many sockets as its open-file limit; this is how a host serves
// more (docs/benchmarks.md). Without the flag a taken port fails as before.
func ListenTCP(addr string, reusePort bool) (net.Listener, error) {
	if !reusePort {
		return net.Listen("tcp", addr)
	}
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		if err := c.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
		}); err != nil {
			return err
		}
		if serr != nil {
			return fmt.Errorf("SO_REUSEPORT: %w", serr)
		}
		return nil
	}}
	return lc.Listen(context.Background(), "tcp", addr)
}
