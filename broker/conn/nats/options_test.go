package natsconn

import (
	"testing"
	"time"

	"github.com/densecable/densecable/broker/brokertest"
	"github.com/densecable/densecable/broker/testservers"
)

// The default servers are the local NATS anycable-go expects.
func TestConnectDefaultsToLocalServer(t *testing.T) {
	testservers.RequireShared(t, testservers.SharedNATSAddr, "NATS")
	nc, err := Connect(NATSOptions{}, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if err := nc.FlushTimeout(5 * time.Second); err != nil {
		t.Fatalf("not connected to %s: %v", DefaultServers, err)
	}
	if got := nc.ConnectedUrl(); got != DefaultServers {
		t.Fatalf("connected to %q", got)
	}
}

// A server that is down at start does not fail Connect: the client connects
// when it comes up.
func TestConnectWaitsForServer(t *testing.T) {
	srv := testservers.NewNATS(t)
	logger, logs := brokertest.NewLogger()
	nc, err := Connect(NATSOptions{Servers: srv.NATSURL(), ReconnectWait: 50 * time.Millisecond}, "test", logger)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if nc.IsConnected() {
		t.Fatal("connected to a server that is not running")
	}
	srv.Start()
	deadline := time.Now().Add(10 * time.Second)
	for !nc.IsConnected() {
		if time.Now().After(deadline) {
			t.Fatal("never connected")
		}
		time.Sleep(10 * time.Millisecond)
	}
	for logs.Count("Connected to NATS") != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the connection was not logged")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestConnectRejectsBadURL(t *testing.T) {
	if _, err := Connect(NATSOptions{Servers: "nats://[::1"}, "test", nil); err == nil {
		t.Fatal("accepted a malformed URL")
	}
}
