package memory

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/broker/brokertest"
)

func TestConformance(t *testing.T) {
	var (
		mu     sync.Mutex
		clocks = map[broker.Broker]*fakeClock{}
	)
	clockOf := func(b broker.Broker) *fakeClock {
		mu.Lock()
		defer mu.Unlock()
		return clocks[b]
	}
	brokertest.RunBrokerConformance(t, brokertest.BrokerEngine{
		New: func(t *testing.T, opts broker.Options, onExpire broker.ExpiredPresence) broker.Broker {
			clock := newFakeClock()
			// A long interval: the suite sweeps through Advance.
			b := NewWithConfig(Config{Options: opts, Now: clock.Now, SweepInterval: time.Hour}, onExpire, nil)
			if err := b.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = b.Shutdown(context.Background()) })
			mu.Lock()
			clocks[b] = clock
			mu.Unlock()
			return b
		},
		Advance: func(_ *testing.T, b broker.Broker, d time.Duration) {
			clockOf(b).Advance(d)
			b.(*Broker).Sweep()
		},
		Now:       func(b broker.Broker) time.Time { return clockOf(b).Now() },
		ExactTime: true,
	})
}
