package embeddednats

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/densecable/densecable/broker/brokertest"
)

// usedPorts keeps tests of this binary from picking the same port.
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

func addr(port int) string { return "nats://127.0.0.1:" + strconv.Itoa(port) }

// start runs a server and shuts it down at the end of the test. o's
// ports may be 0: they are then picked free, and picked again when another
// process took one meanwhile.
func start(t *testing.T, o Options) *Server {
	t.Helper()
	s := startRetrying(t, o, nil)
	t.Cleanup(func() {
		if err := s.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return s
}

func startRetrying(t *testing.T, o Options, logger *slog.Logger) *Server {
	t.Helper()
	for attempt := 1; ; attempt++ {
		try := o
		if try.ServiceAddr == "" {
			try.ServiceAddr = addr(freePort(t))
		}
		s, err := New(try, logger)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err = s.Start(ctx)
		cancel()
		if err == nil {
			return s
		}
		if attempt == 3 || !strings.Contains(err.Error(), "address already in use") || o.ServiceAddr != "" {
			t.Fatal(err)
		}
	}
}

func connect(t *testing.T, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url, nats.Timeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// expectDelivery subscribes on sub's server and publishes on pub's until a
// message arrives (interest crosses routes and gateways asynchronously).
func expectDelivery(t *testing.T, pub, sub *nats.Conn, subject string) {
	t.Helper()
	s, err := sub.SubscribeSync(subject)
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.Flush(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if err := pub.Publish(subject, []byte("hello")); err != nil {
			t.Fatal(err)
		}
		if m, err := s.NextMsg(100 * time.Millisecond); err == nil {
			if string(m.Data) != "hello" {
				t.Fatalf("got %q", m.Data)
			}
			return
		}
	}
	t.Fatalf("no message crossed from %s to %s", pub.ConnectedUrl(), sub.ConnectedUrl())
}

func TestStartServesClientsAndJetStream(t *testing.T) {
	logger, logs := brokertest.NewLogger()
	s := startRetrying(t, Options{JetStream: true}, logger)
	if s.ClientURL() != addr(s.so.Port) || s.so.Host != "127.0.0.1" {
		t.Fatalf("client URL %s", s.ClientURL())
	}
	nc := connect(t, s.ClientURL())
	expectDelivery(t, nc, nc, "greetings")
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.AccountInfo(context.Background()); err != nil {
		t.Fatalf("JetStream is not available: %v", err)
	}
	if logs.Count("Embedded NATS server started") != 1 {
		t.Fatal("start was not logged")
	}
	dir := s.tempDir
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("store dir: %v", err)
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("temporary store dir %s left behind: %v", dir, err)
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatalf("second shutdown: %v", err)
	}
}

func TestStartFailsOnBusyPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	s, err := New(Options{ServiceAddr: "nats://" + l.Addr().String()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err == nil {
		_ = s.Shutdown(context.Background())
		t.Fatal("started on a busy port")
	}
}

// Two servers joined by routes form one cluster: a message published on one
// reaches a subscriber of the other.
func TestClusterViaRoutes(t *testing.T) {
	c1, c2 := freePort(t), freePort(t)
	s1 := start(t, Options{ClusterAddr: addr(c1), ServerName: "n1"})
	s2 := start(t, Options{ClusterAddr: addr(c2), Routes: []string{addr(c1)}, ServerName: "n2"})
	a, b := connect(t, s1.ClientURL()), connect(t, s2.ClientURL())
	expectDelivery(t, a, b, "across.routes")
	expectDelivery(t, b, a, "across.routes.back")
}

// Two single-server clusters joined by gateways form a super-cluster.
func TestSuperClusterViaGateways(t *testing.T) {
	g1, g2 := freePort(t), freePort(t)
	s1 := start(t, Options{ClusterName: "east", GatewayAddr: addr(g1),
		Gateways: []string{"west:" + addr(g2)}})
	s2 := start(t, Options{ClusterName: "west", GatewayAddr: addr(g2),
		Gateways: []string{"east:" + addr(g1)}})
	a, b := connect(t, s1.ClientURL()), connect(t, s2.ClientURL())
	expectDelivery(t, a, b, "across.gateways")
}

// Members that only know one other server still find each other (routes
// are gossiped), and JetStream forms over the three of them. With
// JetStream every member needs some route, the first one included.
func TestClusterGossipsRoutes(t *testing.T) {
	c1, c2 := freePort(t), freePort(t)
	clusterPorts := []int{c1, c2, freePort(t)}
	routeTo := []int{c2, c1, c1}
	servers := make([]*Server, 3)
	done := make(chan struct{}, 3)
	for i := range servers {
		s, err := New(Options{ServiceAddr: addr(freePort(t)), ClusterAddr: addr(clusterPorts[i]),
			Routes: []string{addr(routeTo[i])}, ServerName: "g" + strconv.Itoa(i+1),
			JetStream: true, JetStreamReadyTimeout: 10 * time.Second}, nil)
		if err != nil {
			t.Fatal(err)
		}
		servers[i] = s
		t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
		go func() {
			if err := s.Start(context.Background()); err != nil {
				t.Error(err)
			}
			done <- struct{}{}
		}()
	}
	for range servers {
		<-done
	}
	if t.Failed() {
		return
	}
	b, c := connect(t, servers[1].ClientURL()), connect(t, servers[2].ClientURL())
	expectDelivery(t, b, c, "between.the.later.members")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, s := range servers {
		if err := s.WaitJetStream(ctx); err != nil {
			t.Fatalf("%s: %v", s.Name(), err)
		}
	}
	js, err := jetstream.New(c)
	if err != nil {
		t.Fatal(err)
	}
	// JetStream is "ready" before every peer is known to be online for
	// placement: retry until the meta leader sees all three (bounded by ctx).
	for {
		_, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "replicated", Subjects: []string{"r.>"}, Replicas: 3})
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("an R3 stream over the three servers: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
