package redisconn

import (
	"context"
	"log/slog"
	"time"

	"github.com/redis/rueidis"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/broker/internal/backoff"
)

// MonitorInterval is how often Monitor pings a Redis that answers.
const MonitorInterval = time.Second

// Monitor follows the health of a shared client (the broker's and the
// pub/sub's) until ctx is done: it pings every MonitorInterval, and with the
// reconnect back-off while Redis does not answer (rueidis reconnects on the
// next command), logging the loss and the return once and setting health
// after opts.MaxReconnectAttempts failures in a row.
func Monitor(ctx context.Context, c rueidis.Client, opts RedisOptions, health *broker.Health, logger *slog.Logger) {
	logger = broker.Logger(logger)
	link := backoff.NewLink(opts.ReconnectPolicy(health, logger))
	first := true
	for {
		pctx, cancel := context.WithTimeout(ctx, MonitorInterval)
		err := c.Do(pctx, c.B().Ping().Build()).Error()
		cancel()
		if ctx.Err() != nil {
			return
		}
		wait := MonitorInterval
		if err == nil {
			if link.Up() {
				logger.Info("Reconnected to Redis")
			} else if first {
				logger.Debug("Connected to Redis")
			}
			first = false
		} else {
			if wasUp, attempts := link.Down(); wasUp {
				logger.Warn("Redis connection lost", "error", err)
			} else {
				logger.Debug("Redis is still unreachable", "error", err, "attempt", attempts)
			}
			wait = link.Delay()
		}
		if !backoff.Sleep(ctx, wait) {
			return
		}
	}
}
