package server

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/internal/systemd"
	"github.com/densecable/densecable/internal/systemd/systemdtest"
	"github.com/densecable/densecable/poller"
)

// watchdogUSEC is a small WatchdogSec= for the tests: pings every 200 ms.
const (
	watchdogUSEC  = "400000"
	watchdogEvery = 200 * time.Millisecond
)

// Under a (fake) systemd with Type=notify and WatchdogSec=: READY=1 once
// the server listens, STATUS= follows the connection count, WATCHDOG=1
// comes at half the timeout, and STOPPING=1 starts the shutdown, after
// which no ping is sent.
func TestSystemdNotify(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		sock := systemdtest.Listen(t, engine == "netpoll") // the abstract namespace too
		t.Setenv("NOTIFY_SOCKET", sock.Addr)
		t.Setenv("WATCHDOG_USEC", watchdogUSEC)
		start := time.Now()
		srv := startServer(t, "--public")

		ready := sock.WaitFor(0, 15*time.Second, systemdtest.Has("READY", "1"))
		if ready < 0 {
			t.Fatalf("no READY=1: %v", sock.Messages())
		}
		if got := sock.Messages()[ready].Fields["STATUS"]; got != "0 connections" {
			t.Errorf("READY status %q", got)
		}
		// Ready means accepting: a connection right after READY=1 works.
		c := dial(t, srv.wsURL("/cable"))
		if w := c.read(); !strings.Contains(w, `"welcome"`) {
			t.Fatalf("first message %q", w)
		}
		if sock.WaitFor(ready, 15*time.Second, systemdtest.Has("STATUS", "1 connection")) < 0 {
			t.Fatalf("no STATUS=1 connection: %v", sock.Messages())
		}

		ping := systemdtest.Has("WATCHDOG", "1")
		if !sock.WaitCount(start, 5, 20*time.Second, ping) {
			t.Fatalf("fewer than 5 watchdog pings: %v", sock.Messages())
		}
		if el := time.Since(start); el < 4*watchdogEvery {
			t.Fatalf("5 pings within %v: faster than every %v", el, watchdogEvery)
		}

		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.stop(ctx)
		stopping := sock.WaitFor(ready, 5*time.Second, systemdtest.Has("STOPPING", "1"))
		if stopping < 0 {
			t.Fatalf("no STOPPING=1: %v", sock.Messages())
		}
		if got := sock.Count(sock.Messages()[stopping].At, ping); got != 0 {
			t.Fatalf("%d watchdog pings after STOPPING=1", got)
		}
	})
}

// WATCHDOG_PID naming another process leaves the pings to that process.
func TestSystemdWatchdogForAnotherPID(t *testing.T) {
	sock := systemdtest.Listen(t, false)
	t.Setenv("NOTIFY_SOCKET", sock.Addr)
	t.Setenv("WATCHDOG_USEC", watchdogUSEC)
	t.Setenv("WATCHDOG_PID", "1")
	start := time.Now()
	startServer(t, "--public")
	if sock.WaitFor(0, 15*time.Second, systemdtest.Has("READY", "1")) < 0 {
		t.Fatal("no READY=1")
	}
	time.Sleep(5 * watchdogEvery)
	if got := sock.Count(start, systemdtest.HasKey("WATCHDOG")); got != 0 {
		t.Fatalf("%d pings for another process's watchdog", got)
	}
}

// stallHandler blocks the event loop that routes a request for /stall
// until release is closed: UpgradeOptions runs on the loop goroutine.
type stallHandler struct {
	stalled chan struct{}
	release chan struct{}
	once    sync.Once
}

func (h *stallHandler) UpgradeOptions(path string) *frames.UpgradeOptions {
	if path == "/stall" {
		h.once.Do(func() { close(h.stalled) })
		<-h.release
	}
	return nil
}

func (h *stallHandler) Open(*poller.Conn, *frames.Request) poller.Receiver { return nil }

// A stalled epoll loop stops the watchdog pings (systemd would then restart
// the service), and they resume once the loop runs again. The stall is
// real: the loop goroutine is stuck in a handler.
func TestWatchdogStopsWhileAnEventLoopStalls(t *testing.T) {
	sock := systemdtest.Listen(t, false)
	n, err := systemd.NewNotifier(func(k string) string {
		if k == "NOTIFY_SOCKET" {
			return sock.Addr
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := &stallHandler{stalled: make(chan struct{}), release: make(chan struct{})}
	srv, err := poller.New("epoll", poller.Options{Addr: "127.0.0.1:0"}, h, &fasthttp.Server{Handler: func(*fasthttp.RequestCtx) {}}, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve() }()
	released := false
	release := func() {
		if !released {
			released = true
			close(h.release)
		}
	}
	defer func() {
		release()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}()
	w := systemd.StartWatchdog(n, watchdogEvery, srv.Heartbeats(), log)
	defer w.Stop()

	ping := systemdtest.Has("WATCHDOG", "1")
	if !sock.WaitCount(time.Time{}, 3, 20*time.Second, ping) {
		t.Fatal("no pings from an idle server")
	}

	conn, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /stall HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-h.stalled:
	case <-time.After(15 * time.Second):
		t.Fatal("the loop never reached the handler")
	}
	// A ping decided just before the stall may still arrive: let two
	// intervals pass, then expect silence over five.
	time.Sleep(2 * watchdogEvery)
	quiet := time.Now()
	time.Sleep(5 * watchdogEvery)
	if got := sock.Count(quiet, ping); got != 0 {
		t.Fatalf("%d pings while an event loop was stalled", got)
	}

	release()
	resumed := time.Now()
	if !sock.WaitCount(resumed, 2, 20*time.Second, ping) {
		t.Fatal("pings did not resume after the loop recovered")
	}
	// The released request is served as plain HTTP.
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if line, err := bufio.NewReader(conn).ReadString('\n'); err != nil || !strings.HasPrefix(line, "HTTP/1.1 200") {
		t.Fatalf("after the stall: %q, %v", line, err)
	}
}
