// Package embeddednats runs the embedded NATS server (--embed_nats) on
// github.com/nats-io/nats-server/v2: a client port, optional clustering
// through routes, super-clusters through gateways, and JetStream when the
// NATS broker needs it. The server's logs go to slog.
package embeddednats

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Defaults as in anycable-go.
const (
	DefaultServiceAddr           = "nats://127.0.0.1:4222"
	DefaultClusterName           = "anycable-cluster"
	DefaultMaxPayload            = 1 << 20
	DefaultJetStreamReadyTimeout = 30 * time.Second
)

// Options mirror the enats_* settings.
type Options struct {
	// ServiceAddr is the client address, nats://host:port (--enats_addr).
	ServiceAddr string
	// ClusterAddr turns clustering on: the routes' listen address
	// (--enats_cluster).
	ClusterAddr string
	// ClusterName names the cluster (and its gateway) (--enats_cluster_name).
	ClusterName string
	// Routes are other cluster members' route URLs (--enats_cluster_routes);
	// an entry may itself be a comma-separated list.
	Routes []string
	// GatewayAddr turns gateways on: their listen address (--enats_gateway).
	GatewayAddr string
	// Gateways are the remote clusters, each "name:url,url"; an entry may
	// hold several separated by ';' (--enats_gateways).
	Gateways []string
	// GatewayAdvertise is the host:port other clusters dial
	// (--enats_gateway_advertise).
	GatewayAdvertise string
	// ServerName must be unique in a cluster (JetStream needs it); empty
	// means a generated one (--enats_server_name).
	ServerName string
	// Debug and Trace turn on the server's debug and protocol trace logs.
	Debug, Trace bool
	// MaxPayload is the biggest message in bytes (0: 1 MiB).
	MaxPayload int
	// JetStream turns JetStream on (the NATS broker needs it), storing in
	// StoreDir (empty: a directory under the system temp dir, removed on
	// shutdown).
	JetStream bool
	StoreDir  string
	// JetStreamReadyTimeout bounds the wait for JetStream to be usable at
	// start (a cluster needs a quorum first); 0 means 30 s.
	JetStreamReadyTimeout time.Duration
}

// serverOptions validates o and turns it into the server's options.
func (o Options) serverOptions() (*server.Options, error) {
	so := &server.Options{
		ServerName: o.ServerName,
		MaxPayload: int32(DefaultMaxPayload),
		Debug:      o.Debug,
		Trace:      o.Trace,
		NoSigs:     true, // the process handles signals, not the library
	}
	if so.ServerName == "" {
		so.ServerName = "densecable-" + randomID(8)
	}
	if o.MaxPayload < 0 || o.MaxPayload > 64<<20 {
		return nil, fmt.Errorf("enats_max_payload %d is out of range (0..64 MiB)", o.MaxPayload)
	}
	if o.MaxPayload > 0 {
		so.MaxPayload = int32(o.MaxPayload)
	}
	addr := o.ServiceAddr
	if strings.TrimSpace(addr) == "" {
		addr = DefaultServiceAddr
	}
	host, port, err := hostPort(addr, 4222)
	if err != nil {
		return nil, fmt.Errorf("enats_addr: %w", err)
	}
	so.Host, so.Port = host, port

	name := o.ClusterName
	if name == "" {
		name = DefaultClusterName
	}
	if strings.TrimSpace(o.ClusterAddr) != "" {
		host, port, err := hostPort(o.ClusterAddr, 0)
		if err != nil {
			return nil, fmt.Errorf("enats_cluster: %w", err)
		}
		so.Cluster = server.ClusterOpts{Name: name, Host: host, Port: port}
	}
	if so.Routes, err = parseRoutes(o.Routes); err != nil {
		return nil, fmt.Errorf("enats_cluster_routes: %w", err)
	}
	if len(so.Routes) > 0 && so.Cluster.Port == 0 {
		return nil, errors.New("enats_cluster_routes needs enats_cluster (the address this server listens on for routes)")
	}
	if strings.TrimSpace(o.GatewayAddr) != "" {
		host, port, err := hostPort(o.GatewayAddr, 0)
		if err != nil {
			return nil, fmt.Errorf("enats_gateway: %w", err)
		}
		so.Cluster.Name = name
		so.Gateway = server.GatewayOpts{Name: name, Host: host, Port: port,
			Advertise: strings.TrimPrefix(o.GatewayAdvertise, "nats://")}
		if so.Gateway.Gateways, err = parseGateways(o.Gateways); err != nil {
			return nil, fmt.Errorf("enats_gateways: %w", err)
		}
	} else if len(nonEmpty(o.Gateways)) > 0 {
		return nil, errors.New("enats_gateways needs enats_gateway (the address this server listens on for gateways)")
	}
	if o.JetStream {
		so.JetStream = true
		so.StoreDir = o.StoreDir
	}
	return so, nil
}

// hostPort reads nats://host:port, host:port or :port; the port may be
// left out when def is not 0.
func hostPort(addr string, def int) (string, int, error) {
	addr = strings.TrimSpace(addr)
	if !strings.Contains(addr, "://") {
		addr = "nats://" + addr
	}
	u, err := url.Parse(addr)
	if err != nil {
		return "", 0, fmt.Errorf("invalid address %q: %w", addr, err)
	}
	host, portStr := u.Hostname(), u.Port()
	if host == "" {
		host = "0.0.0.0"
	}
	if portStr == "" {
		if def == 0 {
			return "", 0, fmt.Errorf("address %q has no port", addr)
		}
		return host, def, nil
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 1 || port > 65535 {
		return "", 0, fmt.Errorf("address %q has an invalid port", addr)
	}
	return host, port, nil
}

func parseRoutes(entries []string) ([]*url.URL, error) {
	var routes []*url.URL
	for _, e := range entries {
		for _, r := range strings.Split(e, ",") {
			if r = strings.TrimSpace(r); r == "" {
				continue
			}
			u, err := parseURL(r)
			if err != nil {
				return nil, err
			}
			routes = append(routes, u)
		}
	}
	return routes, nil
}

// parseGateways reads "name:url,url" entries (';' also separates entries).
func parseGateways(entries []string) ([]*server.RemoteGatewayOpts, error) {
	var gws []*server.RemoteGatewayOpts
	for _, e := range entries {
		for _, g := range strings.Split(e, ";") {
			if g = strings.TrimSpace(g); g == "" {
				continue
			}
			name, urls, ok := strings.Cut(g, ":")
			if !ok || name == "" || strings.Contains(name, "/") {
				return nil, fmt.Errorf("gateway %q is not name:url[,url]", g)
			}
			gw := &server.RemoteGatewayOpts{Name: name}
			for _, raw := range strings.Split(urls, ",") {
				if raw = strings.TrimSpace(raw); raw == "" {
					continue
				}
				u, err := parseURL(raw)
				if err != nil {
					return nil, fmt.Errorf("gateway %s: %w", name, err)
				}
				gw.URLs = append(gw.URLs, u)
			}
			if len(gw.URLs) == 0 {
				return nil, fmt.Errorf("gateway %s has no URL", name)
			}
			gws = append(gws, gw)
		}
	}
	return gws, nil
}

func parseURL(s string) (*url.URL, error) {
	if !strings.Contains(s, "://") {
		s = "nats://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("invalid URL %q: %w", s, err)
	}
	if u.Hostname() == "" || u.Port() == "" {
		return nil, fmt.Errorf("URL %q needs a host and a port", s)
	}
	return u, nil
}

func nonEmpty(list []string) []string {
	var out []string
	for _, s := range list {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}

// clientURL is the URL to give clients: a wildcard bind address is reached
// through the loopback.
func clientURL(host string, port int) string {
	switch host {
	case "", "0.0.0.0", "::", "[::]":
		host = "127.0.0.1"
	}
	return "nats://" + net.JoinHostPort(host, strconv.Itoa(port))
}

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return string(b)
}
