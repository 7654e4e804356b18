package redisconn

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/redis/rueidis"
)

// NewRedisClient connects a rueidis client (single node, cluster or
// sentinel, as the options say). rueidis reconnects by itself; commands fail
// while Redis is away.
func NewRedisClient(opts RedisOptions) (rueidis.Client, error) {
	co, err := opts.ClientOption()
	if err != nil {
		return nil, err
	}
	c, err := rueidis.NewClient(co)
	if err != nil {
		return nil, fmt.Errorf("connect to Redis %s: %w", opts.Describe(), err)
	}
	return c, nil
}

// ClientOption builds the rueidis options; callers may adjust them (the
// broadcasters turn off rueidis's own retries to see connection losses).
func (o RedisOptions) ClientOption() (rueidis.ClientOption, error) {
	var (
		co  rueidis.ClientOption
		err error
	)
	if strings.TrimSpace(o.Sentinels) != "" {
		co, err = o.sentinelOption()
	} else {
		co, err = parseURLList(o.url())
		co.ShuffleInit = len(co.InitAddress) > 1
	}
	if err != nil {
		return co, err
	}
	if o.KeepaliveInterval > 0 {
		co.Dialer.KeepAlive = o.KeepaliveInterval
	}
	co.DisableCache = co.DisableCache || o.DisableCache
	if co.TLSConfig != nil {
		if err := o.configureTLS(co.TLSConfig); err != nil {
			return co, err
		}
	}
	if co.Sentinel.TLSConfig != nil {
		if err := o.configureTLS(co.Sentinel.TLSConfig); err != nil {
			return co, err
		}
	}
	return co, nil
}

// Describe names the Redis target for logs, without credentials.
func (o RedisOptions) Describe() string {
	if strings.TrimSpace(o.Sentinels) != "" {
		return fmt.Sprintf("master %q via sentinels %s", masterName(o.url()), redactList(o.Sentinels))
	}
	return redactList(o.url())
}

func (o RedisOptions) url() string {
	if strings.TrimSpace(o.URL) == "" {
		return DefaultURL
	}
	return o.URL
}

// parseURLList parses one URL or a comma-separated list of them; the first
// gives credentials, DB and TLS, the rest add addresses.
func parseURLList(list string) (rueidis.ClientOption, error) {
	var co rueidis.ClientOption
	for i, entry := range strings.Split(list, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		// rueidis rejects "redis://host:6379/" (an empty DB), redis-cli
		// accepts it.
		entry = strings.TrimSuffix(withScheme(entry), "/")
		one, err := rueidis.ParseURL(entry)
		if err != nil {
			return co, fmt.Errorf("invalid Redis URL %q: %w", redact(entry), err)
		}
		if i == 0 || co.InitAddress == nil {
			co = one
			continue
		}
		co.InitAddress = append(co.InitAddress, one.InitAddress...)
	}
	if len(co.InitAddress) == 0 {
		return co, errors.New("empty Redis URL")
	}
	return co, nil
}

func (o RedisOptions) sentinelOption() (rueidis.ClientOption, error) {
	master, err := parseURLList(o.url())
	if err != nil {
		return master, err
	}
	name := masterName(o.url())
	if name == "" {
		return master, fmt.Errorf("redis_url %q must name the sentinel master set", redact(o.url()))
	}
	sentinels, err := parseURLList(o.Sentinels)
	if err != nil {
		return master, fmt.Errorf("invalid redis_sentinels: %w", err)
	}
	co := master
	co.InitAddress = sentinels.InitAddress
	co.Sentinel = rueidis.SentinelOption{
		MasterSet:               name,
		Username:                sentinels.Username,
		Password:                sentinels.Password,
		TLSConfig:               sentinels.TLSConfig,
		TopologyRefreshInterval: o.SentinelDiscoveryInterval,
	}
	co.Sentinel.Dialer.KeepAlive = o.KeepaliveInterval
	// anycable-go authenticates the master with the sentinels' password;
	// keep that working when the master URL has none of its own.
	if co.Password == "" && co.Username == "" {
		co.Username, co.Password = sentinels.Username, sentinels.Password
	}
	return co, nil
}

func (o RedisOptions) configureTLS(cfg *tls.Config) error {
	cfg.InsecureSkipVerify = !o.TLSVerify //nolint:gosec // anycable-go's default, opt in with redis_tls_verify
	if o.TLSCACertPath != "" {
		pem, err := os.ReadFile(o.TLSCACertPath)
		if err != nil {
			return fmt.Errorf("read Redis CA certificate: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("no certificate found in Redis CA file %s", o.TLSCACertPath)
		}
		cfg.RootCAs = pool
	}
	if o.TLSClientCertPath != "" || o.TLSClientKeyPath != "" {
		if o.TLSClientCertPath == "" || o.TLSClientKeyPath == "" {
			return errors.New("redis_tls_client_cert_path and redis_tls_client_key_path must be set together")
		}
		cert, err := tls.LoadX509KeyPair(o.TLSClientCertPath, o.TLSClientKeyPath)
		if err != nil {
			return fmt.Errorf("load Redis client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return nil
}

func withScheme(s string) string {
	if strings.Contains(s, "://") {
		return s
	}
	return "redis://" + s
}

// masterName is the host part of the first URL (redis://mymaster).
func masterName(list string) string {
	first, _, _ := strings.Cut(list, ",")
	u, err := url.Parse(withScheme(strings.TrimSpace(first)))
	if err != nil {
		return ""
	}
	return u.Hostname()
}

func redact(s string) string {
	u, err := url.Parse(withScheme(s))
	if err != nil {
		return "<unparsable>"
	}
	return u.Redacted()
}

func redactList(list string) string {
	parts := strings.Split(list, ",")
	for i, p := range parts {
		parts[i] = redact(strings.TrimSpace(p))
	}
	return strings.Join(parts, ",")
}
