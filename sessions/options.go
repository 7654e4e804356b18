// Package sessions is the transport- and protocol-neutral session core: a
// Session per client (identity, connection and channel state,
// subscriptions), the core's commands (subscribe, unsubscribe, perform,
// whisper, history, presence), RPC calls, authentication, resume, pings,
// the disconnect queue and shutdown. A Node holds them all.
//
// Two seams keep it neutral. A Transport (this package; poller.Conn is the
// WebSocket one) carries bytes to one client and owns its write limits and
// close. A protocol.Protocol (sessions/protocol; Action Cable in
// sessions/actioncable) reads client messages into commands and renders the
// core's output. Node.NewSession takes one of each.
package sessions

import "time"

// Disconnect modes (--disconnect_mode).
const (
	DisconnectAuto   = "auto"
	DisconnectAlways = "always"
	DisconnectNever  = "never"
)

// Options configures a Node.
type Options struct {
	PingInterval  time.Duration // default 3s; 0 disables pings
	PingPrecision string        // s, ms or ns
	// EnableNativePings also sends a WebSocket ping frame with each ping.
	EnableNativePings bool
	// PongTimeout disconnects (no_pong) extended-protocol sessions (every
	// session with native pings) that send nothing within this time after a
	// ping. 0 disables it.
	PongTimeout time.Duration

	DisconnectMode    string
	DisconnectRate    int // Disconnect calls per second (default 100)
	DisconnectBacklog int // queue length (default 4096)

	// MaxConn is --max-conn: it also bounds the disconnect queue, past which
	// AcceptPaused asks the server to stop accepting. 0 means
	// defaultAcceptBound.
	MaxConn int

	// Headers to pass to RPC in env.headers (lower-case names).
	Headers []string
	// ProxyCookies filters the Cookie header (nil = pass it whole).
	ProxyCookies []string
	// TLS tells whether the server terminates TLS (env.url scheme).
	TLS bool

	// Workers is the size of the pool that runs session commands (RPC calls
	// block a worker). Default 64.
	Workers int

	// SessionsTTL and PresenceTTL (seconds) drive the session cache and
	// presence keepalives when a broker is configured.
	SessionsTTL int
	PresenceTTL int

	ShutdownTimeout time.Duration
	// SlowDrain spreads shutdown disconnects over the shutdown window.
	SlowDrain bool
	// ShutdownPoolSize is how many goroutines disconnect sessions at
	// shutdown (default 16).
	ShutdownPoolSize int
}

// defaultAcceptBound bounds the disconnect queue without --max-conn.
const defaultAcceptBound = 50000

func (o *Options) acceptBound() int {
	if o.MaxConn > 0 {
		return o.MaxConn
	}
	return defaultAcceptBound
}

func (o *Options) defaults() {
	if o.PingPrecision == "" {
		o.PingPrecision = "s"
	}
	if o.DisconnectMode == "" {
		o.DisconnectMode = DisconnectAuto
	}
	if o.DisconnectRate <= 0 {
		o.DisconnectRate = 100
	}
	if o.DisconnectBacklog <= 0 {
		o.DisconnectBacklog = 4096
	}
	if o.Workers <= 0 {
		o.Workers = 64
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = 30 * time.Second
	}
	if o.ShutdownPoolSize <= 0 {
		o.ShutdownPoolSize = 16
	}
}
