package redisstore

import (
	"time"

	"testing"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/broker/brokertest"
)

// Two nodes on one Redis see each cluster transition once.
func TestOccupancyTwoNodes(t *testing.T) {
	c := newClient(t, sharedURL)
	prefix := testPrefix(t, c)
	cfg := Config{Options: broker.DefaultOptions(), Prefix: prefix}
	brokertest.RunOccupancyConformance(t, NewWithConfig(c, cfg, nil, nil), NewWithConfig(c, cfg, nil, nil))
}

// A node that stops keeping alive loses its streams once its deadline
// (1 s here) has passed.
func TestOccupancyNodeLoss(t *testing.T) {
	c := newClient(t, sharedURL)
	cfg := Config{Options: broker.DefaultOptions(), Prefix: testPrefix(t, c), OccupancyTTL: time.Second}
	brokertest.RunOccupancyNodeLoss(t, NewWithConfig(c, cfg, nil, nil), NewWithConfig(c, cfg, nil, nil), func() {})
}
