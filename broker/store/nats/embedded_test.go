package natsstore

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/broker/brokertest"
	"github.com/densecable/densecable/broker/embeddednats"
)

func startEmbedded(t *testing.T, o embeddednats.Options) *embeddednats.Server {
	t.Helper()
	o.JetStream = true
	o.JetStreamReadyTimeout = 20 * time.Second
	s, err := embeddednats.New(o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	return s
}

func natsAddr(port int) string { return "nats://127.0.0.1:" + strconv.Itoa(port) }

func TestEmbeddedNATS(t *testing.T) {
	t.Parallel()
	srv := startEmbedded(t, embeddednats.Options{ServiceAddr: natsAddr(freePort(t))})
	runSuite(t, func(t *testing.T, prefix string, opts broker.Options, exp *expirations) *Broker {
		return startBroker(t, srv.ClientURL(), prefix, opts, exp.fn())
	})
}

func TestEmbeddedConformance(t *testing.T) {
	t.Parallel()
	srv := startEmbedded(t, embeddednats.Options{ServiceAddr: natsAddr(freePort(t))})
	brokertest.RunBrokerConformance(t, brokertest.BrokerEngine{
		New: func(t *testing.T, opts broker.Options, onExpire broker.ExpiredPresence) broker.Broker {
			return startBroker(t, srv.ClientURL(), uniquePrefix(), opts, onExpire)
		},
		Advance: func(t *testing.T, b broker.Broker, d time.Duration) {
			time.Sleep(d)
			b.(*Broker).expireLocal(context.Background(), time.Now())
		},
	})
}

// Three embedded servers clustered by routes share one JetStream: nodes on
// different servers share history, epoch, sessions and presence, with the
// state replicated on all three.
func TestEmbeddedCluster(t *testing.T) {
	t.Parallel()
	const n = 3
	cluster := make([]int, n)
	for i := range cluster {
		cluster[i] = freePort(t)
	}
	servers := make([]*embeddednats.Server, n)
	started := make(chan error, n)
	for i := range servers {
		var routes []string
		for j, p := range cluster {
			if j != i {
				routes = append(routes, natsAddr(p))
			}
		}
		s, err := embeddednats.New(embeddednats.Options{ServiceAddr: natsAddr(freePort(t)), ClusterAddr: natsAddr(cluster[i]),
			Routes: routes, ServerName: fmt.Sprintf("n%d", i), JetStream: true, JetStreamReadyTimeout: 20 * time.Second}, nil)
		if err != nil {
			t.Fatal(err)
		}
		servers[i] = s
		t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
		go func() { started <- s.Start(context.Background()) }()
	}
	for range servers {
		if err := <-started; err != nil {
			t.Fatal(err)
		}
	}
	prefix := uniquePrefix()
	nodes := make([]*Broker, n)
	for i, s := range servers {
		b := New(connect(t, s.ClientURL()), broker.DefaultOptions(), nil, nil, WithPrefix(prefix), WithReplicas(3))
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err := b.Start(ctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = b.Shutdown(context.Background()) })
		nodes[i] = b
	}
	for i, b := range nodes {
		if b.Epoch() != nodes[0].Epoch() {
			t.Fatalf("node %d epoch %s, node 0 %s", i, b.Epoch(), nodes[0].Epoch())
		}
		p := store(t, b, "chat", fmt.Sprint(i))
		if p.Offset != uint64(i+1) {
			t.Fatalf("node %d stored offset %d", i, p.Offset)
		}
	}
	got, err := nodes[2].HistorySince(bg, "chat", 0)
	if err != nil || !slices.Equal(offsets(got), seq(1, n)) {
		t.Fatalf("history on the last server: %v %v", offsets(got), err)
	}
	if err := nodes[0].CommitSession(bg, "sid", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if snap, err := nodes[1].RestoreSession(bg, "sid"); err != nil || string(snap) != "x" {
		t.Fatalf("session from another server: %q %v", snap, err)
	}
	if ev, _ := nodes[0].PresenceAdd(bg, "room", "a", "u1", nil); ev == nil {
		t.Fatal("no join")
	}
	if ev, _ := nodes[1].PresenceAdd(bg, "room", "b", "u1", nil); ev != nil {
		t.Fatal("second join for the same id")
	}
	if pi, err := nodes[2].PresenceInfo(bg, "room"); err != nil || pi.Total != 1 {
		t.Fatalf("presence from the third server: %+v %v", pi, err)
	}
}
