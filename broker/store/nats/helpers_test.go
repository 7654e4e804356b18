package natsstore

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/densecable/densecable/broker"
	natsconn "github.com/densecable/densecable/broker/conn/nats"
	"github.com/densecable/densecable/broker/testservers"
)

const waitFor = 10 * time.Second

var sharedURL = "nats://" + testservers.SharedNATSAddr

// expirations records what onExpire receives.
type expirations struct {
	mu     sync.Mutex
	events map[string][]broker.PresenceEvent
}

func newExpirations() *expirations {
	return &expirations{events: make(map[string][]broker.PresenceEvent)}
}

func (e *expirations) callback(stream string, events []broker.PresenceEvent) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.events[stream] = append(e.events[stream], events...)
}

// fn is the callback to give New (nil for a nil recorder).
func (e *expirations) fn() broker.ExpiredPresence {
	if e == nil {
		return nil
	}
	return e.callback
}

func (e *expirations) of(stream string) []broker.PresenceEvent {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]broker.PresenceEvent(nil), e.events[stream]...)
}

func connect(t *testing.T, url string) *nats.Conn {
	t.Helper()
	nc, err := natsconn.Connect(natsconn.NATSOptions{Servers: url, ReconnectWait: 50 * time.Millisecond}, "natsbroker test", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// startBroker starts an engine on its own connection to url and removes its
// resources at the end of the test.
func startBroker(t *testing.T, url, prefix string, opts broker.Options, onExpire broker.ExpiredPresence) *Broker {
	t.Helper()
	var lg *slog.Logger
	if os.Getenv("NB_DEBUG") != "" {
		lg = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	b := New(connect(t, url), opts, onExpire, lg, WithPrefix(prefix))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := b.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = b.Shutdown(context.Background())
		dropResources(t, b)
	})
	return b
}

// dropResources deletes a test prefix's stream and buckets (once).
func dropResources(t *testing.T, b *Broker) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if !b.nc.IsConnected() {
		return
	}
	_ = b.js.DeleteStream(ctx, b.names.history)
	_ = b.js.DeleteKeyValue(ctx, b.names.sessions)
	_ = b.js.DeleteKeyValue(ctx, b.names.state)
}

func uniquePrefix() string { return testservers.UniqueName("t") }

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// jsServer is a nats-server with JetStream on a free port, killable and
// restartable (by PID) with or without its store.
type jsServer struct {
	t     *testing.T
	name  string
	port  int
	store string
	cmd   *exec.Cmd
}

func startJSServer(t *testing.T) *jsServer {
	t.Helper()
	s := &jsServer{t: t, name: testservers.UniqueName("js"), port: freePort(t), store: t.TempDir()}
	s.start()
	t.Cleanup(s.kill)
	return s
}

// usedPorts keeps parallel tests of this binary from picking the same port.
var usedPorts sync.Map

// freePort picks a free port below the kernel's ephemeral range
// (32768+), so outgoing connections of parallel tests cannot take it
// before the server binds it.
func freePort(t *testing.T) int {
	t.Helper()
	for range 100 {
		port := 20000 + rand.IntN(12000)
		if _, taken := usedPorts.LoadOrStore(port, true); taken {
			continue
		}
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err == nil {
			l.Close()
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

func (s *jsServer) url() string { return "nats://127.0.0.1:" + strconv.Itoa(s.port) }

func (s *jsServer) start() {
	s.t.Helper()
	s.cmd = exec.Command("/usr/sbin/nats-server", "-n", s.name, "-a", "127.0.0.1", "-p", strconv.Itoa(s.port), "-js", "-sd", s.store)
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	nc, err := nats.Connect(s.url(), nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond))
	if err != nil {
		s.t.Fatal(err)
	}
	defer nc.Close()
	eventually(s.t, "nats-server with JetStream", func() bool {
		if !nc.IsConnected() {
			return false
		}
		if name := nc.ConnectedServerName(); name != s.name {
			s.t.Fatalf("port %d is served by %q, not by this test's server", s.port, name)
		}
		_, err := nc.Request("$JS.API.INFO", nil, time.Second)
		return err == nil
	})
}

func (s *jsServer) kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// restart kills the server and starts it again, keeping its data or not.
func (s *jsServer) restart(keepData bool) {
	s.kill()
	if !keepData {
		if err := os.RemoveAll(s.store); err != nil {
			s.t.Fatal(err)
		}
	}
	s.start()
}
