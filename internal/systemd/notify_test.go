package systemd

import (
	"testing"
	"time"

	"github.com/densecable/densecable/internal/systemd/systemdtest"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

// Every message reaches the socket systemd names, a path or an abstract
// name, with its lines intact.
func TestNotifierSendsToPathAndAbstractSockets(t *testing.T) {
	for _, abstract := range []bool{false, true} {
		sock := systemdtest.Listen(t, abstract)
		n, err := NewNotifier(env("NOTIFY_SOCKET", sock.Addr))
		if err != nil || n == nil {
			t.Fatalf("abstract=%v: notifier %v, %v", abstract, n, err)
		}
		defer n.Close()
		if err := n.Ready("0 connections\nSTOPPING=1"); err != nil {
			t.Fatal(err)
		}
		if err := n.Stopping("Shutting down"); err != nil {
			t.Fatal(err)
		}
		if sock.WaitFor(0, 10*time.Second, systemdtest.Has("STOPPING", "1")) < 0 {
			t.Fatalf("abstract=%v: got %v", abstract, sock.Messages())
		}
		msgs := sock.Messages()
		if got := msgs[0].Raw; got != "READY=1\nSTATUS=0 connections STOPPING=1" {
			t.Errorf("abstract=%v: ready message %q (a status must not add lines)", abstract, got)
		}
		if got := msgs[1].Raw; got != "STOPPING=1\nSTATUS=Shutting down" {
			t.Errorf("abstract=%v: stopping message %q", abstract, got)
		}
	}
}

func TestNotifierOutsideSystemd(t *testing.T) {
	n, err := NewNotifier(env())
	if err != nil || n != nil {
		t.Fatalf("no NOTIFY_SOCKET: %v, %v", n, err)
	}
	if n.Enabled() || n.Send("READY=1") != nil || n.Close() != nil {
		t.Fatal("a nil notifier must be a silent no-op")
	}
	for _, bad := range []string{"relative/path", "@", "vsock:2:1234"} {
		if _, err := NewNotifier(env("NOTIFY_SOCKET", bad)); err == nil {
			t.Errorf("NOTIFY_SOCKET=%q accepted", bad)
		}
	}
}
