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
)

// DefaultServers is nats_servers' default.
const DefaultServers = "nats://127.0.0.1:4222"

// NATSOptions are the connection settings shared by every NATS user.
type NATSOptions struct {
	// Servers is a comma-separated list of server URLs.
	Servers string
	// DontRandomizeServers keeps the list order on (re)connect.
	DontRandomizeServers bool
	// MaxReconnectAttempts bounds consecutive failed reconnects before the
	// connection is closed for good (0: retry forever, densecable's
	// default; anycable-go's TOML default is 5).
	MaxReconnectAttempts int
	// ReconnectWait is the pause between attempts to the same server
	// (0: nats.go's 2 s).
	ReconnectWait time.Duration
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
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	servers := strings.TrimSpace(opts.Servers)
	if servers == "" {
		servers = DefaultServers
	}
	maxReconnects := -1
	if opts.MaxReconnectAttempts > 0 {
		maxReconnects = opts.MaxReconnectAttempts
	}
	options := []nats.Option{
		nats.Name(name),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(maxReconnects),
		nats.ConnectHandler(func(c *nats.Conn) {
			logger.Info("Connected to NATS", "server", c.ConnectedUrlRedacted())
		}),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			logger.Warn("NATS connection lost", "error", err)
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
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
	if opts.ReconnectWait > 0 {
		options = append(options, nats.ReconnectWait(opts.ReconnectWait))
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
