package natsstore

import (
	"testing"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/broker/testservers"
)

func TestSharedNATS(t *testing.T) {
	testservers.RequireShared(t, testservers.SharedNATSAddr, "NATS")
	runSuite(t, func(t *testing.T, prefix string, opts broker.Options, exp *expirations) *Broker {
		return startBroker(t, sharedURL, prefix, opts, exp.fn())
	})
}
