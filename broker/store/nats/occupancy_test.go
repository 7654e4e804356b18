package natsstore

import (
	"context"

	"testing"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/broker/brokertest"
)

// Two nodes on one NATS see each cluster transition once.
func TestOccupancyTwoNodes(t *testing.T) {
	prefix := uniquePrefix()
	a := startBroker(t, sharedURL, prefix, broker.DefaultOptions(), nil)
	b := startBroker(t, sharedURL, prefix, broker.DefaultOptions(), nil)
	brokertest.RunOccupancyConformance(t, a, b)
}

// A node that shuts down without leaving loses its streams once the other
// node has seen its heartbeat stop (presence_ttl, 1 s here).
func TestOccupancyNodeLoss(t *testing.T) {
	prefix := uniquePrefix()
	opts := broker.DefaultOptions()
	opts.PresenceTTL = 1
	a := startBroker(t, sharedURL, prefix, opts, nil)
	b := startBroker(t, sharedURL, prefix, opts, nil)
	brokertest.RunOccupancyNodeLoss(t, a, b, func() { _ = a.Shutdown(context.Background()) })
}
