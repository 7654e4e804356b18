package rpcclient

import (
	"strings"
	"time"
)

// Implementation names accepted by Options.Impl (rpc_impl).
const (
	ImplGRPC = "grpc"
	ImplHTTP = "http"
	ImplNone = "none"
)

// Defaults, identical to anycable-go's.
const (
	DefaultHost               = "localhost:50051"
	DefaultConcurrency        = 28
	DefaultConcurrencyInitial = 25
	DefaultConcurrencyMin     = 5
	DefaultConcurrencyMax     = 100
	DefaultCommandTimeoutMS   = 3000
	DefaultHTTPTimeoutMS      = 3000
)

// ProtoVersions is sent as the `protov` metadata (X-Anycable-Meta-Protov).
const ProtoVersions = "v1"

// Options configure the RPC client. Start from DefaultOptions: several zero
// values are meaningful (Concurrency 0 = adaptive, TLSVerify false = skip
// verification, RequestTimeout 0 = none).
type Options struct {
	// Host is rpc_host: host:port, dns:///…, grpc-list://a,b (gRPC) or
	// http(s)://… (HTTP RPC).
	Host string
	// Impl is rpc_impl: "grpc", "http", "none" or "" to infer from Host.
	Impl string

	// Concurrency is rpc_concurrency: the fixed limit of calls in flight;
	// 0 turns on adaptive concurrency, a negative value falls back to 28.
	Concurrency int
	// Adaptive concurrency bounds (rpc_concurrency_initial/min/max); zero
	// values mean the defaults 25/5/100.
	ConcurrencyInitial int
	ConcurrencyMin     int
	ConcurrencyMax     int

	// EnableTLS is rpc_enable_tls (gRPC); a non-empty TLSRootCA also turns TLS on.
	EnableTLS bool
	// TLSVerify is rpc_tls_verify; false skips server certificate checks.
	TLSVerify bool
	// TLSRootCA is rpc_tls_root_ca: a file path or inline PEM.
	TLSRootCA string

	// MaxRecvSize and MaxSendSize are the gRPC message limits in bytes (0 = gRPC default).
	MaxRecvSize int
	MaxSendSize int

	// GRPCGo makes a plain host:port target use grpc-go's client instead of
	// the built-in unary HTTP/2 client (H2Transport); TLS and resolver
	// targets always use grpc-go's.
	GRPCGo bool

	// RequestTimeout is rpc_request_timeout in ms (per attempt; 0 = none for gRPC).
	RequestTimeout int
	// CommandTimeout is rpc_command_timeout in ms: the budget of a whole call
	// including retries (0 = unbounded).
	CommandTimeout int

	// HTTPSecret is the Bearer token for HTTP RPC, already resolved by the
	// configuration (explicit http_rpc_secret or DeriveHTTPSecret(secret)).
	HTTPSecret string
	// HTTPTimeout is the deprecated http_rpc_timeout in ms.
	HTTPTimeout int

	// ProxyHeaders and ProxyCookies only appear in the start-up log line;
	// sessions do the actual filtering.
	ProxyHeaders []string
	ProxyCookies []string
}

// DefaultOptions returns anycable-go's defaults.
func DefaultOptions() Options {
	return Options{
		Host:               DefaultHost,
		Concurrency:        DefaultConcurrency,
		ConcurrencyInitial: DefaultConcurrencyInitial,
		ConcurrencyMin:     DefaultConcurrencyMin,
		ConcurrencyMax:     DefaultConcurrencyMax,
		TLSVerify:          true,
		CommandTimeout:     DefaultCommandTimeoutMS,
	}
}

// ResolvedImpl returns the implementation in use: Impl when set, otherwise
// "http" for http:// and https:// hosts and "grpc" for everything else.
func (o Options) ResolvedImpl() string {
	if o.Impl != "" {
		return o.Impl
	}
	if isHTTPHost(o.Host) {
		return ImplHTTP
	}
	return ImplGRPC
}

func isHTTPHost(host string) bool {
	return strings.HasPrefix(host, "http://") || strings.HasPrefix(host, "https://")
}

// TLSEnabled reports whether gRPC connects over TLS.
func (o Options) TLSEnabled() bool {
	return o.EnableTLS || o.TLSRootCA != ""
}

// Adaptive reports whether adaptive concurrency is on (rpc_concurrency=0).
func (o Options) Adaptive() bool { return o.Concurrency == 0 }

// requestTimeout is the per-attempt deadline for the resolved implementation:
// HTTP falls back to http_rpc_timeout, then rpc_request_timeout, then 3 s.
func (o Options) requestTimeout() time.Duration {
	if o.ResolvedImpl() == ImplHTTP {
		return o.httpTimeout()
	}
	return ms(o.RequestTimeout)
}

func (o Options) httpTimeout() time.Duration {
	switch {
	case o.HTTPTimeout > 0:
		return ms(o.HTTPTimeout)
	case o.RequestTimeout > 0:
		return ms(o.RequestTimeout)
	default:
		return ms(DefaultHTTPTimeoutMS)
	}
}

func (o Options) commandTimeout() time.Duration { return ms(o.CommandTimeout) }

// fixedConcurrency is the semaphore size when not adaptive.
func (o Options) fixedConcurrency() int {
	if o.Concurrency <= 0 {
		return DefaultConcurrency
	}
	return o.Concurrency
}

// adaptiveBounds returns (initial, min, max) with defaults applied and the
// values made consistent (min ≤ initial ≤ max, min ≥ 1).
func (o Options) adaptiveBounds() (initial, lo, hi int) {
	initial, lo, hi = o.ConcurrencyInitial, o.ConcurrencyMin, o.ConcurrencyMax
	if initial <= 0 {
		initial = DefaultConcurrencyInitial
	}
	if lo <= 0 {
		lo = DefaultConcurrencyMin
	}
	if hi <= 0 {
		hi = DefaultConcurrencyMax
	}
	if hi < lo {
		hi = lo
	}
	initial = min(max(initial, lo), hi)
	return initial, lo, hi
}

func ms(v int) time.Duration {
	if v <= 0 {
		return 0
	}
	return time.Duration(v) * time.Millisecond
}
