// Package redisconn turns anycable-go's Redis settings (redis_url,
// redis_sentinels, redis_tls_*, redis_keepalive_interval,
// redis_disable_cache) into rueidis clients, for the Redis broadcasters and
// every other Redis user (broker, pub/sub).
package redisconn

import (
	"time"
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
	// MaxReconnectAttempts bounds the consecutive failed reconnects of the
	// broadcasters before they give up (0: never give up). anycable-go's
	// TOML default is 5; densecable defaults to retrying forever.
	MaxReconnectAttempts int
}

// DefaultRedisOptions returns anycable-go's defaults.
func DefaultRedisOptions() RedisOptions {
	return RedisOptions{
		URL:                       DefaultURL,
		KeepaliveInterval:         DefaultKeepaliveInterval,
		SentinelDiscoveryInterval: DefaultSentinelDiscoveryInterval,
	}
}
