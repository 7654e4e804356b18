package systemd

import (
	"net"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseListenEnv(t *testing.T) {
	cases := []struct {
		fds, pid, names string
		want            string // names joined by ',', "-" for nil
		err             bool
	}{
		{"", "", "", "-", false},
		{"2", "7", "", "unknown,unknown", false},
		{"2", "7", "http:broadcast", "http,broadcast", false},
		{"3", "7", "main::metrics", "main,unknown,metrics", false},
		{"2", "8", "http:broadcast", "-", false}, // for another process
		{"0", "7", "", "-", false},
		{"2", "7", "http", "", true},
		{"x", "7", "", "", true},
		{"-1", "7", "", "", true},
		{"65", "7", "", "", true},
		{"1", "", "", "", true},
		{"1", "abc", "", "", true},
	}
	for _, c := range cases {
		got, err := parseListenEnv(c.fds, c.pid, c.names, 7)
		s := "-"
		if got != nil {
			s = strings.Join(got, ",")
		}
		if (err != nil) != c.err || (!c.err && s != c.want) {
			t.Errorf("LISTEN_FDS=%q LISTEN_PID=%q LISTEN_FDNAMES=%q: %q, %v; want %q (error %v)", c.fds, c.pid, c.names, s, err, c.want, c.err)
		}
	}
}

// The variables come from outside the process: whatever they hold, the
// result is either an error or exactly LISTEN_FDS names, each non-empty,
// within the bound, and the given name where one was given.
func FuzzParseListenEnv(f *testing.F) {
	f.Add("2", "7", "http:broadcast")
	f.Add("1", "7", "")
	f.Add("3", "7", "a::b")
	f.Add("64", "7", "")
	f.Add("1", "8", "x")
	f.Fuzz(func(t *testing.T, fds, pid, names string) {
		got, err := parseListenEnv(fds, pid, names, 7)
		if err != nil || got == nil {
			return
		}
		if n, _ := strconv.Atoi(fds); len(got) != n || n > maxListenFDs {
			t.Fatalf("%d names for LISTEN_FDS=%q", len(got), fds)
		}
		var given []string
		if names != "" {
			given = strings.Split(names, ":")
			if len(given) != len(got) {
				t.Fatalf("LISTEN_FDNAMES=%q gave %d names, got %d", names, len(given), len(got))
			}
		}
		for i, n := range got {
			if n == "" || strings.Contains(n, ":") {
				t.Fatalf("name %d = %q", i, n)
			}
			if given != nil && given[i] != "" && given[i] != n {
				t.Fatalf("name %d = %q, given %q", i, n, given[i])
			}
		}
	})
}

// An inherited descriptor becomes a working listener; one that is not a
// listening stream socket is refused with a message naming the unit
// setting.
func TestFileListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	fd := dupFile(t, f)
	got, err := fileListener(fd, "http")
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	go func() {
		if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
			c.Close()
		}
	}()
	c, err := got.Accept()
	if err != nil {
		t.Fatalf("accept on the inherited socket: %v", err)
	}
	c.Close()

	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	uf, err := udp.(*net.UDPConn).File()
	if err != nil {
		t.Fatal(err)
	}
	ufd := dupFile(t, uf)
	defer unix.Close(ufd)
	if _, err := fileListener(ufd, "broadcast"); err == nil || !strings.Contains(err.Error(), "ListenStream=") {
		t.Fatalf("a UDP socket: %v", err)
	}
}

// dupFile returns a descriptor of f's socket that fileListener may close
// (f keeps its own, closed here).
func dupFile(t *testing.T, f *os.File) int {
	t.Helper()
	fd, err := unix.Dup(int(f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	return fd
}
