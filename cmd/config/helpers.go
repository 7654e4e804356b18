package config

import (
	"slices"
	"strings"
)

// RPCImplementation is the RPC client to use: --rpc_impl when given, else
// "http" for http(s):// hosts, else "grpc". "none" means standalone.
func (c *Config) RPCImplementation() string {
	if c.RPC.Impl != "" {
		return c.RPC.Impl
	}
	if strings.HasPrefix(c.RPC.Host, "http://") || strings.HasPrefix(c.RPC.Host, "https://") {
		return "http"
	}
	return "grpc"
}

// HTTPRPCTimeout is the HTTP RPC request timeout in ms: the deprecated
// --http_rpc_timeout, else --rpc_request_timeout, else 3000.
func (c *Config) HTTPRPCTimeout() int {
	switch {
	case c.RPC.HTTPTimeout > 0:
		return c.RPC.HTTPTimeout
	case c.RPC.RequestTimeout > 0:
		return c.RPC.RequestTimeout
	}
	return 3000
}

// RPCTLSEnabled reports whether RPC connections use TLS.
func (c *Config) RPCTLSEnabled() bool { return c.RPC.EnableTLS || c.RPC.TLSRootCA != "" }

// TLSEnabled reports whether the main server serves TLS.
func (c *Config) TLSEnabled() bool { return c.Server.SSLCert != "" && c.Server.SSLKey != "" }

// HasBroadcastAdapter reports whether the named broadcaster is enabled.
func (c *Config) HasBroadcastAdapter(name string) bool {
	return slices.Contains(c.Broadcast.Adapters, name)
}

// APIEnabled reports whether the REST API is served: in public mode, with a
// separate port, or with a secret (given or derived).
func (c *Config) APIEnabled() bool {
	return c.Public || c.API.Port != 0 || c.API.Secret != "" || c.Secret != ""
}

// PusherEnabled reports whether Pusher compatibility is on.
func (c *Config) PusherEnabled() bool { return c.Pusher.AppID != "" && c.Pusher.AppKey != "" }
