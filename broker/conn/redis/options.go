// Package redisconn turns anycable-go's Redis settings (redis_url,
// redis_sentinels, redis_tls_*, redis_keepalive_interval,
// redis_disable_cache) into rueidis clients, for the Redis broadcasters and
// every other Redis user (broker, pub/sub).
package redisconn

import (
	"log/slog"
	"time"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/broker/internal/backoff"
)

// Defaults as in anycable-go.
const (
	DefaultURL                       = "redis://localhost:6379"
	DefaultKeepaliveInterval         = 30 * time.Second
	DefaultSentinelDiscoveryInterval = 30 * time.Second
)

// RedisOptions are the connection settings shared by every Redis user.
type RedisOptions struct {
	// URL is redis://[user:password@]host[:port][/db] or rediss:// for TLS.
	// A comma-separated list of URLs (or host:port entries) gives a
	// cluster's seed nodes. With Sentinels set, the URL's host is the
	// master set name (redis://mymaster) and its credentials and DB are
	// used for the master.
	URL string
	// Sentinels is a comma-separated list of sentinel addresses:
	// host:port, :password@host:port, or full redis(s):// URLs.
	Sentinels string
	// SentinelDiscoveryInterval re-checks the sentinels' view of the
	// topology on top of their +switch-master events (0: events only).
	SentinelDiscoveryInterval time.Duration
	// KeepaliveInterval is the TCP keepalive period; idle connections are
	// also pinged and declared dead after ten of these without an answer.
	KeepaliveInterval time.Duration
	// TLSVerify checks the server certificate for rediss:// (off by
	// default, as in anycable-go).
	TLSVerify bool
	// TLSCACertPath is a PEM file with the CA that signed the server's
	// certificate. TLSClientCertPath and TLSClientKeyPath are a PEM client
	// certificate and key for mutual TLS. They apply to rediss:// only.
	TLSCACertPath     string
	TLSClientCertPath string
	TLSClientKeyPath  string
	// DisableCache turns off client-side caching (CLIENT TRACKING), which
	// some managed Redis services do not allow.
	DisableCache bool
	// MaxReconnectAttempts is the number of failed reconnects in a row
	// after which a component reports itself unhealthy (a WARN line, the
	// unhealthy gauge, /health 503 for the broadcaster or broker); 0 never
	// reports. Components never give up: they keep retrying every
	// ReconnectMax and report healthy again once reconnected.
	MaxReconnectAttempts int
	// ReconnectMin and ReconnectMax bound the back-off between reconnects
	// (zero: 1 s and 5 s, so Redis is used again within 5 s of its return).
	ReconnectMin, ReconnectMax time.Duration
}

// ReconnectPolicy is the reconnect pacing and health reporting of every
// Redis component: health may be nil.
func (o RedisOptions) ReconnectPolicy(health *broker.Health, log *slog.Logger) backoff.Policy {
	return backoff.Policy{
		Min: o.ReconnectMin, Max: o.ReconnectMax,
		UnhealthyAfter: o.MaxReconnectAttempts,
		Health:         health, Log: log, What: "Redis",
	}
}

// DefaultRedisOptions returns anycable-go's defaults.
func DefaultRedisOptions() RedisOptions {
	return RedisOptions{
		URL:                       DefaultURL,
		KeepaliveInterval:         DefaultKeepaliveInterval,
		SentinelDiscoveryInterval: DefaultSentinelDiscoveryInterval,
	}
}
