package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/densecable/densecable/bench/internal/cableproto"
	"github.com/densecable/densecable/bench/internal/procstat"
)

// common holds the flags every scenario shares.
type common struct {
	url        string
	origin     string
	encoding   string
	channel    string
	srcIPs     int
	srcBase    string
	perProcess int
	timeout    time.Duration
	rate       float64
	maxPending int
	loop       time.Duration
	deflate    bool
	deflateCmd bool

	serverPID     int
	serverPIDFile string
	serverPIDList string
	serverPIDs    []int // --server-pids, parsed
	goroutines    string

	label    string
	note     string
	jsonOut  bool
	outFile  string
	logLevel string

	// derived
	server netip.AddrPort
	host   string
	path   string
}

func (o *common) register(fs *flag.FlagSet) {
	fs.StringVar(&o.url, "url", "ws://127.0.0.1:8080/cable", "Action Cable server URL (ws://, IPv4)")
	fs.StringVar(&o.origin, "origin", "http://localhost", "Origin header")
	fs.StringVar(&o.encoding, "encoding", "json", "json, msgpack, protobuf, pusher (--url ws://HOST:PORT/app/KEY, --channel a channel name) or graphql (graphql-transport-ws at the URL's path: idle and connect)")
	fs.StringVar(&o.channel, "channel", `{"channel":"BenchmarkChannel"}`, "channel identifier to subscribe to")
	fs.IntVar(&o.srcIPs, "src-ips", 0, "number of loopback source addresses from --src-base (0: one per 16,000 connections)")
	fs.StringVar(&o.srcBase, "src-base", "127.0.0.2", "first source address")
	fs.IntVar(&o.perProcess, "per-process", 0, "connections per process (0: open-file limit minus a reserve)")
	fs.DurationVar(&o.timeout, "timeout", 60*time.Second, "per-connection deadline from connect to confirmed subscription")
	fs.Float64Var(&o.rate, "rate", 0, "connections opened per second (0: as fast as possible)")
	fs.IntVar(&o.maxPending, "max-pending", 1000, "bound on handshakes in progress (keeps the accept backlog from overflowing)")
	fs.DurationVar(&o.loop, "loop-interval", 0, "shortest time between two polls of a client event loop; >0 batches reads (much less client CPU under fan-out) and adds up to this much to latencies")
	fs.BoolVar(&o.deflate, "deflate", false, "offer permessage-deflate and inflate compressed messages (server --enable_ws_compression)")
	fs.BoolVar(&o.deflateCmd, "deflate-commands", false, "with --deflate, also compress the commands sent (the subscribe), each on its own: a server with --ws_compression_context_takeover then keeps a window per connection")
	fs.IntVar(&o.serverPID, "server-pid", 0, "server process to sample (RSS, CPU) from /proc")
	fs.StringVar(&o.serverPIDFile, "server-pid-file", "", "file holding the server pid")
	fs.StringVar(&o.serverPIDList, "server-pids", "", "comma-separated server processes (one server over SO_REUSEPORT processes) sampled as one: RSS and CPU summed; goroutines default to none")
	fs.StringVar(&o.goroutines, "goroutines", "", "goroutine source: none | threads | debug:<url> | metrics:<url> | auto:<base url> (default auto:<server http url>)")
	fs.StringVar(&o.label, "label", "", "label for the result row (e.g. server name)")
	fs.StringVar(&o.note, "note", "", "free text attached to the result row(s)")
	fs.BoolVar(&o.jsonOut, "json", false, "print JSON lines instead of the table")
	fs.StringVar(&o.outFile, "out", "", "also append JSON lines to this file")
	fs.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
}

// finish validates flags and derives addresses.
func (o *common) finish() error {
	u, err := url.Parse(o.url)
	if err != nil {
		return fmt.Errorf("--url: %w", err)
	}
	if u.Scheme != "ws" {
		return errors.New("--url: only ws:// is supported (TLS is out of scope for a loopback benchmark)")
	}
	port := u.Port()
	if port == "" {
		port = "80"
	}
	ips, err := net.LookupIP(u.Hostname())
	if err != nil {
		return fmt.Errorf("--url host: %w", err)
	}
	var ip4 netip.Addr
	for _, ip := range ips {
		if a, ok := netip.AddrFromSlice(ip.To4()); ok && ip.To4() != nil {
			ip4 = a
			break
		}
	}
	if !ip4.IsValid() {
		return errors.New("--url host has no IPv4 address")
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return fmt.Errorf("--url port: %w", err)
	}
	o.server = netip.AddrPortFrom(ip4, uint16(p))
	o.host = u.Host
	o.path = u.RequestURI()
	if _, err := cableproto.ByName(o.encoding); err != nil {
		return err
	}
	if o.serverPID == 0 && o.serverPIDFile != "" {
		b, err := os.ReadFile(o.serverPIDFile)
		if err != nil {
			return fmt.Errorf("--server-pid-file: %w", err)
		}
		if o.serverPID, err = strconv.Atoi(strings.TrimSpace(string(b))); err != nil {
			return fmt.Errorf("--server-pid-file: %w", err)
		}
	}
	if o.serverPIDList != "" {
		if o.serverPID != 0 {
			return errors.New("--server-pids excludes --server-pid and --server-pid-file")
		}
		for _, f := range strings.Split(o.serverPIDList, ",") {
			pid, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || pid <= 0 {
				return fmt.Errorf("--server-pids: bad pid %q", f)
			}
			o.serverPIDs = append(o.serverPIDs, pid)
		}
		if o.goroutines == "" {
			o.goroutines = "none" // one process's count would pass for the whole
		}
	}
	if o.goroutines == "" {
		o.goroutines = "auto:http://" + o.host
	}
	if _, err := netip.ParseAddr(o.srcBase); err != nil && o.srcIPs >= 0 {
		return fmt.Errorf("--src-base: %w", err)
	}
	return nil
}

// sourceIPs returns the loopback source addresses for capacity
// connections. Each address has its own ~28k ephemeral ports towards the
// server, so 16,000 per address leaves room for TIME_WAIT leftovers.
func (o *common) sourceIPs(capacity int) []string {
	n := o.srcIPs
	if n == 0 {
		n = max(1, (capacity+15_999)/16_000)
	}
	if n < 0 || !o.server.Addr().IsLoopback() {
		return nil // let the kernel choose
	}
	base := netip.MustParseAddr(o.srcBase)
	out := make([]string, 0, n)
	for a := base; len(out) < n && a.IsLoopback(); a = a.Next() {
		out = append(out, a.String())
	}
	return out
}

func (o *common) childInit(base int, srcs []string) *childInit {
	return &childInit{
		Server: o.server.String(), Host: o.host, Path: o.path, Origin: o.origin,
		Encoding: o.encoding, Identifier: o.channel, SourceIPs: srcs, Base: base,
		TimeoutMS: o.timeout.Milliseconds(), LoopUS: o.loop.Microseconds(), Deflate: o.deflate, DeflateCmd: o.deflate && o.deflateCmd,
	}
}

// monitor builds the server sampler (disabled without a pid).
func (o *common) monitor() (*procstat.Monitor, error) {
	src, err := procstat.ParseSource(o.goroutines, o.serverPID, &http.Client{Timeout: 2 * time.Second})
	if err != nil {
		return nil, err
	}
	if len(o.serverPIDs) > 0 {
		return procstat.NewMonitorSum(o.serverPIDs, src, 100*time.Millisecond), nil
	}
	return procstat.NewMonitor(o.serverPID, src, 100*time.Millisecond), nil
}
