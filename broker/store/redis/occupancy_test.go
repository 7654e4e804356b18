package redisstore

import (
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
