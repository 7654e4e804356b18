package server

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/densecable/densecable/cmd/config"
)

func parseConfig(t *testing.T, args ...string) *config.Config {
	t.Helper()
	cfg, action, err := config.Parse(append([]string{"--ignore-config-path"}, args...), func(string) string { return "" }, io.Discard)
	if err != nil || action != config.ActionRun {
		t.Fatalf("config %q: %v", args, err)
	}
	return cfg
}

// startWarnings runs the start-up warnings through the server's JSON logger
// and returns the WARN messages in the order they were logged.
func startWarnings(t *testing.T, cfg *config.Config) []string {
	t.Helper()
	var buf bytes.Buffer
	(&app{cfg: cfg, log: newLogger(&buf, "info", "json")}).warnUnsupported()
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var rec struct{ Level, Msg string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec.Level != "WARN" {
			t.Fatalf("start-up notice at level %s, want WARN: %s", rec.Level, rec.Msg)
		}
		out = append(out, rec.Msg)
	}
	return out
}

const (
	warnNetpoll       = "--netpoll_enabled=false is ignored: a goroutine per connection is not offered, the event loop serves every connection"
	warnWriteBuffer   = "--write_buffer_size has no effect: the event loop writes each encoded frame straight to the socket, there is no per-connection write buffer"
	warnReadBuffer    = "--read_buffer_size has no effect with --poller=epoll: each event loop reads into one shared buffer"
	warnPublic        = "Server is running in the public mode"
	warnReuseNoPubSub = "--reuse_port without --pubsub: an HTTP broadcast reaches only the clients of the process that received it; set --pubsub=nats or --pubsub=redis"
	warnReusePoll     = "--reuse_port with --poll: long-poll sessions live in one process and the kernel picks a process per TCP connection, so a poll on a new connection may get 401; route clients stickily (docs/long-polling.md)"
	warnOpenHTTP      = "HTTP broadcasting accepts unauthenticated publications: anyone who can reach /_broadcast can publish to any stream; set --broadcast_key or --secret"
)

// Each accepted flag that changes nothing says so once, at WARN; a
// configuration that uses nothing unsupported logs nothing.
func TestStartupWarnings(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--broadcast_adapter=redis"}, nil},
		{[]string{"--broadcast_adapter=http", "--broadcast_key=k"}, nil},
		{[]string{"--broadcast_adapter=http", "--secret=s"}, nil},
		{[]string{"--broadcast_adapter=http"}, []string{warnOpenHTTP}},
		{[]string{"--broadcast_adapter=http", "--broadcast_key=none"}, []string{warnOpenHTTP}},
		// Public mode says so itself; the open endpoint is what it asked for.
		{[]string{"--broadcast_adapter=http", "--public"}, []string{warnPublic}},
		{[]string{"--broadcast_adapter=redis", "--netpoll_enabled=false"}, []string{warnNetpoll}},
		{[]string{"--broadcast_adapter=redis", "--netpoll_enabled=true"}, nil},
		{[]string{"--broadcast_adapter=redis", "--write_buffer_size=4096"}, []string{warnWriteBuffer}},
		{[]string{"--broadcast_adapter=redis", "--read_buffer_size=4096"}, []string{warnReadBuffer}},
		{[]string{"--broadcast_adapter=redis", "--read_buffer_size=4096", "--poller=netpoll"}, nil},
		// --reuse_port needs pub/sub for HTTP broadcasts, and says long polling is not sticky.
		{[]string{"--broadcast_adapter=http", "--broadcast_key=k", "--reuse_port"}, []string{warnReuseNoPubSub}},
		{[]string{"--broadcast_adapter=http", "--broadcast_key=k", "--reuse_port", "--pubsub=nats"}, nil},
		{[]string{"--broadcast_adapter=redis", "--reuse_port"}, nil},
		{[]string{"--broadcast_adapter=redis", "--reuse_port", "--poll"}, []string{warnReusePoll}},
		// SSE, long polling and Durable Streams are served: no warning.
		{[]string{"--broadcast_adapter=redis", "--sse", "--sse_path=/e", "--poll", "--poll_interval=3", "--ds", "--ds_path=/d"}, nil},
		// The metrics log and StatsD are served: no warning for them.
		{[]string{"--broadcast_adapter=redis", "--metrics_rotate_interval=5", "--metrics_log", "--metrics_log_filter=clients_num"}, nil},
		{[]string{"--broadcast_adapter=redis", "--statsd_host=127.0.0.1:8125", "--statsd_prefix=x", "--statsd_tags_format=graphite"}, nil},
		{[]string{"--broadcast_adapter=redis", "--metrics_log", "--metrics_log_formatter=f.rb"},
			[]string{"Not supported by this densecable version, ignored: --metrics_log_formatter (mruby metrics formatter)"}},
		// Settings of served features given without the feature: silent.
		{[]string{"--broadcast_adapter=redis", "--sse_path=/e", "--statsd_prefix=x"}, nil},
	} {
		if got := startWarnings(t, parseConfig(t, tc.args...)); !slices.Equal(got, tc.want) {
			t.Errorf("%q:\n got %q\nwant %q", tc.args, got, tc.want)
		}
	}
}

// The warnings come out in the same, documented order on every start (they
// were once read from a map).
func TestStartupWarningsOrder(t *testing.T) {
	cfg := parseConfig(t, "--broadcast_adapter=http", "--sse", "--poll", "--ds", "--pusher_app_id=a", "--pusher_app_key=b",
		"--graphql_path=/g", "--ocpp_path=/o", "--statsd_host=s:1", "--metrics_log_formatter=f.rb", "--enable_ws_compression",
		"--netpoll_enabled=false", "--write_buffer_size=1", "--read_buffer_size=1")
	want := []string{
		"Not supported by this densecable version, ignored: --metrics_log_formatter (mruby metrics formatter)",
		warnNetpoll, warnWriteBuffer, warnReadBuffer, warnOpenHTTP,
	}
	for range 20 {
		if got := startWarnings(t, cfg); !slices.Equal(got, want) {
			t.Fatalf("got\n%q\nwant\n%q", got, want)
		}
	}
}
