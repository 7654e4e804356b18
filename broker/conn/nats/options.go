// Package natsconn turns anycable-go's NATS settings (nats_servers,
// nats_dont_randomize_servers) into a nats.go connection that reconnects by
// itself, for the NATS broadcaster and every other NATS user.
package natsconn

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/broker/internal/backoff"
)

// DefaultServers is nats_servers' default.
const DefaultServers = "nats://127.0.0.1:4222"

// NATSOptions are the connection settings shared by every NATS user.
type NATSOptions struct {
	// Servers is a comma-separated list of server URLs.
	Servers string
	// DontRandomizeServers keeps the list order on (re)connect.
	DontRandomizeServers bool
	// MaxReconnectAttempts is the number of failed reconnect rounds in a
	// row after which the connection reports itself unhealthy through
	// Health (0: never). The connection is never closed for it: it keeps
	// retrying every ReconnectMax and reports healthy again once back.
	MaxReconnectAttempts int
	// ReconnectWait and ReconnectMax bound the back-off between reconnect
	// rounds (zero: 1 s and 5 s, so NATS is used again within 5 s of its
	// return).
	ReconnectWait, ReconnectMax time.Duration
	// Health, when set, follows the connection (see MaxReconnectAttempts).
	Health *broker.Health
}

// DefaultNATSOptions returns anycable-go's defaults.
func DefaultNATSOptions() NATSOptions {
	return NATSOptions{Servers: DefaultServers}
}

// Connect opens a connection named name. It succeeds even while no server is
// reachable (the client keeps trying in the background and sends its
// subscriptions once connected); connection losses and recoveries are logged
// once each. extra options go last and can override these.
func Connect(opts NATSOptions, name string, logger *slog.Logger, extra ...nats.Option) (*nats.Conn, error) {
	logger = broker.Logger(logger)
	servers := strings.TrimSpace(opts.Servers)
	if servers == "" {
		servers = DefaultServers
	}
	link := backoff.NewLink(backoff.Policy{
		Min: opts.ReconnectWait, Max: opts.ReconnectMax,
		UnhealthyAfter: opts.MaxReconnectAttempts, Health: opts.Health,
		Log: logger, What: "NATS",
	})
	options := []nats.Option{
		nats.Name(name),
		nats.RetryOnFailedConnect(true),
		// Never give up (a closed connection would stay closed): health
		// reporting takes max_reconnect_attempts' place.
		nats.MaxReconnects(-1),
		// Called after each failed round over the server list.
		nats.CustomReconnectDelay(func(int) time.Duration {
			_, attempts := link.Down()
			logger.Debug("NATS reconnect round failed", "attempt", attempts)
			return link.Delay()
		}),
		nats.ConnectHandler(func(c *nats.Conn) {
			link.Up()
			logger.Info("Connected to NATS", "server", c.ConnectedUrlRedacted())
		}),
		nats.DisconnectErrHandler(func(c *nats.Conn, err error) {
			if c.IsClosed() { // our own Close, not a loss
				return
			}
			logger.Warn("NATS connection lost", "error", err)
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			link.Up()
			logger.Info("Reconnected to NATS", "server", c.ConnectedUrlRedacted())
		}),
		nats.ClosedHandler(func(c *nats.Conn) {
			if err := c.LastError(); err != nil {
				logger.Error("NATS connection closed", "error", err)
			} else {
				logger.Debug("NATS connection closed")
			}
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subject := ""
			if sub != nil {
				subject = sub.Subject
			}
			logger.Error("NATS error", "subject", subject, "error", err)
		}),
	}
	if opts.DontRandomizeServers {
		options = append(options, nats.DontRandomize())
	}
	nc, err := nats.Connect(servers, append(options, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("connect to NATS %s: %w", servers, err)
	}
	return nc, nil
}
