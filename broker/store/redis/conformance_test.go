package redisstore

import (
	"context"
	"testing"
	"time"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/broker/brokertest"
)

func TestConformance(t *testing.T) {
	c := newClient(t, sharedURL)
	brokertest.RunBrokerConformance(t, brokertest.BrokerEngine{
		New: func(t *testing.T, opts broker.Options, onExpire broker.ExpiredPresence) broker.Broker {
			b := NewWithConfig(c, Config{Options: opts, Prefix: testPrefix(t, c), SweepInterval: time.Hour}, onExpire, nil)
			if err := b.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = b.Shutdown(context.Background()) })
			return b
		},
		// Redis keeps time: wait, then sweep.
		Advance: func(t *testing.T, b broker.Broker, d time.Duration) {
			time.Sleep(d)
			if err := b.(*Broker).Sweep(context.Background()); err != nil {
				t.Fatalf("Sweep: %v", err)
			}
		},
	})
}
