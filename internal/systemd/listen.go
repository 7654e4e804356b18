package systemd

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// listenFDsStart is the first inherited descriptor (SD_LISTEN_FDS_START).
const listenFDsStart = 3

// maxListenFDs bounds $LISTEN_FDS: a unit passes a handful of sockets; the
// bound keeps a bad value from making us touch thousands of descriptors.
const maxListenFDs = 64

// Listener is one socket systemd passed, with its FileDescriptorName=.
type Listener struct {
	Name string
	net.Listener
}

// Listeners returns the listening sockets systemd passed to this process
// (pid), in order, and nil when there are none or they are meant for
// another process. Each becomes a net.Listener with its own close-on-exec
// descriptor; the inherited ones are closed. A descriptor that is not a
// listening stream socket is an error: the unit is wrong.
func Listeners(getenv func(string) string, pid int) ([]Listener, error) {
	names, err := parseListenEnv(getenv("LISTEN_FDS"), getenv("LISTEN_PID"), getenv("LISTEN_FDNAMES"), pid)
	if err != nil || names == nil {
		return nil, err
	}
	out := make([]Listener, 0, len(names))
	var errs []error
	for i, name := range names {
		fd := listenFDsStart + i
		ln, err := fileListener(fd, name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, Listener{Name: name, Listener: ln})
	}
	if len(errs) > 0 {
		for _, l := range out {
			_ = l.Close()
		}
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func fileListener(fd int, name string) (net.Listener, error) {
	typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	if err != nil {
		return nil, fmt.Errorf("socket activation: descriptor %d (%s): %w", fd, name, err)
	}
	acc, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN)
	if err != nil || typ != unix.SOCK_STREAM || acc != 1 {
		return nil, fmt.Errorf("socket activation: descriptor %d (%s) is not a listening stream socket (ListenStream= in the .socket unit)", fd, name)
	}
	f := os.NewFile(uintptr(fd), name)
	ln, err := net.FileListener(f) // dups with close-on-exec
	_ = f.Close()
	if err != nil {
		return nil, fmt.Errorf("socket activation: descriptor %d (%s): %w", fd, name, err)
	}
	return ln, nil
}

// parseListenEnv checks the three variables and returns one name per
// descriptor ("unknown" where none is given, as sd_listen_fds_with_names
// does), or nil when nothing is passed to pid.
func parseListenEnv(fds, lpid, fdnames string, pid int) ([]string, error) {
	if fds == "" {
		return nil, nil
	}
	p, err := strconv.Atoi(lpid)
	if err != nil || p <= 0 {
		return nil, fmt.Errorf("LISTEN_PID=%q: not a pid", lpid)
	}
	if p != pid {
		return nil, nil // meant for the process that started us
	}
	n, err := strconv.Atoi(fds)
	if err != nil || n < 0 || n > maxListenFDs {
		return nil, fmt.Errorf("LISTEN_FDS=%q: want 0 to %d", fds, maxListenFDs)
	}
	if n == 0 {
		return nil, nil
	}
	names := make([]string, n)
	var given []string
	if fdnames != "" {
		given = strings.Split(fdnames, ":")
		if len(given) != n {
			return nil, fmt.Errorf("LISTEN_FDNAMES=%q names %d descriptors, LISTEN_FDS=%d", fdnames, len(given), n)
		}
	}
	for i := range names {
		names[i] = "unknown"
		if given != nil && given[i] != "" {
			names[i] = given[i]
		}
	}
	return names, nil
}
