package natsstore

import (
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
