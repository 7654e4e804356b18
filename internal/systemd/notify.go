// Package systemd speaks the two protocols a service managed by systemd
// uses, without libsystemd: sd_notify (READY=1, STATUS=, STOPPING=1,
// WATCHDOG=1 as datagrams to $NOTIFY_SOCKET) and socket activation
// (listening sockets inherited as descriptors 3… with $LISTEN_FDS,
// $LISTEN_PID and $LISTEN_FDNAMES). Outside systemd every call here is a
// no-op, so the server runs the same with or without it.
package systemd

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// Notifier sends state changes to systemd. The zero of a nil *Notifier is
// valid and sends nothing (not started by systemd with Type=notify).
type Notifier struct {
	fd   int
	name string
}

// NewNotifier opens the socket named by $NOTIFY_SOCKET: a path, or an
// abstract name written with a leading '@'. It returns nil, nil when the
// variable is unset.
func NewNotifier(getenv func(string) string) (*Notifier, error) {
	name := getenv("NOTIFY_SOCKET")
	if name == "" {
		return nil, nil
	}
	if name[0] != '/' && name[0] != '@' {
		// vsock: addresses exist too; densecable runs on the host's systemd.
		return nil, fmt.Errorf("NOTIFY_SOCKET=%q: only a path or an @abstract name is supported", name)
	}
	if len(name) < 2 {
		return nil, fmt.Errorf("NOTIFY_SOCKET=%q: empty name", name)
	}
	// Non-blocking: a full receive queue drops one message instead of
	// stalling the caller (an event loop's watchdog ping must never wait).
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("notify socket: %w", err)
	}
	// Unconnected: each message is addressed, so a systemd that re-executed
	// itself (and re-created the socket) still gets the next one.
	return &Notifier{fd: fd, name: name}, nil
}

// Send sends one message: lines of KEY=VALUE.
func (n *Notifier) Send(lines ...string) error {
	if n == nil {
		return nil
	}
	msg := strings.Join(lines, "\n")
	if strings.IndexByte(msg, 0) >= 0 {
		return errors.New("systemd notify: NUL in message")
	}
	// A fresh address per call: unix.SockaddrUnix caches its encoding and
	// is not safe to share between goroutines.
	return unix.Sendto(n.fd, []byte(msg), 0, &unix.SockaddrUnix{Name: n.name})
}

// Ready says that the service accepts connections; status goes with it.
func (n *Notifier) Ready(status string) error {
	return n.Send("READY=1", "STATUS="+oneLine(status))
}

// Status replaces the one-line status `systemctl status` shows.
func (n *Notifier) Status(status string) error { return n.Send("STATUS=" + oneLine(status)) }

// Stopping says that shutdown began (systemd stops the watchdog then).
func (n *Notifier) Stopping(status string) error {
	return n.Send("STOPPING=1", "STATUS="+oneLine(status))
}

// Enabled reports whether messages go anywhere.
func (n *Notifier) Enabled() bool { return n != nil }

// Close releases the socket.
func (n *Notifier) Close() error {
	if n == nil {
		return nil
	}
	return unix.Close(n.fd)
}

// oneLine keeps a status from starting another KEY=VALUE line.
func oneLine(s string) string {
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
}
