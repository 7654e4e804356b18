package natsstore

import (
	"context"
	"testing"
	"time"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/broker/brokertest"
	"github.com/densecable/densecable/broker/testservers"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	testservers.RequireShared(t, testservers.SharedNATSAddr, "NATS")
	brokertest.RunBrokerConformance(t, brokertest.BrokerEngine{
		New: func(t *testing.T, opts broker.Options, onExpire broker.ExpiredPresence) broker.Broker {
			return startBroker(t, sharedURL, uniquePrefix(), opts, onExpire)
		},
		// JetStream keeps time (message and entry ages): wait, then run
		// this node's expiry pass.
		Advance: func(t *testing.T, b broker.Broker, d time.Duration) {
			time.Sleep(d)
			b.(*Broker).expireLocal(context.Background(), time.Now())
		},
	})
}
