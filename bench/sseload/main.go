// Command densecable-sseload measures idle Server-Sent Events streams and
// broadcasts to them, next to WebSocket clients measured the same way:
// it opens --conns clients on one public stream (--transport sse: GET
// /events?stream=; ws: Action Cable JSON subscribing to the same stream),
// reports the server's RSS per client and goroutines once they are all
// subscribed, then publishes --broadcasts messages over HTTP and reports
// the server's CPU per delivery once every client has every message.
//
//	densecable-sseload --url http://127.0.0.1:29080 --broadcast http://127.0.0.1:29090/_broadcast \
//	    --server-pid PID --transport sse --conns 10000 --broadcasts 0
//
// The server must run with --public --sse (and --metrics_http /metrics for
// the goroutine count). One JSON line goes to stdout.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/densecable/densecable/bench/internal/opener"
	"github.com/densecable/densecable/bench/internal/procstat"
)

type options struct {
	url, broadcast, transport, stream string
	conns, broadcasts, parallel       int
	pid                               int
	settle, timeout                   time.Duration
}

type result struct {
	Transport       string  `json:"transport"`
	Conns           int     `json:"conns"`
	RSSBeforeMB     float64 `json:"rss_before_mb"`
	RSSAfterMB      float64 `json:"rss_after_mb"`
	BytesPerClient  float64 `json:"bytes_per_client"`
	GoroutinesIdle  int     `json:"goroutines_before"`
	GoroutinesConns int     `json:"goroutines_with_clients"`
	Broadcasts      int     `json:"broadcasts,omitempty"`
	Deliveries      int64   `json:"deliveries,omitempty"`
	CPUPerDelivery  float64 `json:"server_cpu_us_per_delivery,omitempty"`
	DeliverySeconds float64 `json:"delivery_seconds,omitempty"`
}

func main() {
	var o options
	flag.StringVar(&o.url, "url", "http://127.0.0.1:29080", "server base URL")
	flag.StringVar(&o.broadcast, "broadcast", "http://127.0.0.1:29090/_broadcast", "HTTP broadcast endpoint")
	flag.StringVar(&o.transport, "transport", "sse", "sse or ws")
	flag.StringVar(&o.stream, "stream", "bench_sse", "stream every client subscribes to")
	flag.IntVar(&o.conns, "conns", 1000, "clients")
	flag.IntVar(&o.parallel, "parallel", 100, "clients connecting at once")
	flag.IntVar(&o.broadcasts, "broadcasts", 0, "messages to publish once everyone is subscribed")
	flag.IntVar(&o.pid, "server-pid", 0, "server PID (RSS, CPU)")
	flag.DurationVar(&o.settle, "settle", 2*time.Second, "wait before measuring memory")
	flag.DurationVar(&o.timeout, "timeout", 5*time.Minute, "bound on the whole run")
	flag.Parse()
	r, err := run(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sseload:", err)
		os.Exit(1)
	}
	_ = json.NewEncoder(os.Stdout).Encode(r)
}

func run(o options) (*result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	gsrc, _ := procstat.ParseSource("auto:"+o.url, o.pid, http.DefaultClient)
	mon := procstat.NewMonitor(o.pid, gsrc, time.Second)
	r := &result{Transport: o.transport, Conns: o.conns}
	before, err := procstat.Read(o.pid)
	if err != nil {
		return nil, err
	}
	r.RSSBeforeMB = float64(before.RSS) / (1 << 20)
	r.GoroutinesIdle = mon.Goroutines(ctx)

	var got atomic.Int64 // broadcast messages received by all clients
	clients := opener.Open(o.conns, o.parallel, true, func(int) (net.Conn, error) {
		c, rd, err := dial(ctx, o)
		if err == nil {
			go count(rd, o.transport, &got)
		}
		return c, err
	})
	defer clients.Close()
	if clients.FirstErr != nil {
		return nil, clients.FirstErr
	}
	time.Sleep(o.settle)
	after, err := procstat.Read(o.pid)
	if err != nil {
		return nil, err
	}
	r.RSSAfterMB = float64(after.RSS) / (1 << 20)
	r.BytesPerClient = float64(int64(after.RSS)-int64(before.RSS)) / float64(o.conns)
	r.GoroutinesConns = mon.Goroutines(ctx)
	if o.broadcasts == 0 {
		return r, nil
	}
	r.Broadcasts = o.broadcasts
	want := int64(o.broadcasts) * int64(o.conns)
	got.Store(0)
	cpu0, _ := procstat.Read(o.pid)
	start := time.Now()
	for n := 1; n <= o.broadcasts; n++ {
		if err := publish(ctx, o, n); err != nil {
			return nil, err
		}
	}
	for got.Load() < want {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%d of %d deliveries before the timeout", got.Load(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.DeliverySeconds = time.Since(start).Seconds()
	cpu1, _ := procstat.Read(o.pid)
	r.Deliveries = want
	r.CPUPerDelivery = float64((cpu1.CPU - cpu0.CPU).Microseconds()) / float64(want)
	return r, nil
}

// dial opens one client and returns once its subscription is confirmed.
func dial(ctx context.Context, o options) (net.Conn, *bufio.Reader, error) {
	u, _ := url.Parse(o.url)
	if o.transport == "ws" {
		c, br, _, err := ws.Dial(ctx, "ws://"+u.Host+"/cable")
		if err != nil {
			return nil, nil, err
		}
		rd := bufio.NewReaderSize(io.MultiReader(readerOrEmpty(br), c), 512)
		id, _ := json.Marshal(map[string]string{"channel": "$pubsub", "stream_name": o.stream})
		cmd, _ := json.Marshal(map[string]string{"command": "subscribe", "identifier": string(id)})
		if err := wsutil.WriteClientText(c, cmd); err != nil {
			return nil, nil, err
		}
		for {
			msg, err := readFrame(rd)
			if err != nil {
				return nil, nil, err
			}
			if bytes.Contains(msg, []byte("confirm_subscription")) {
				return c, rd, nil
			}
		}
	}
	c, err := (&net.Dialer{}).DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(c, "GET /events?stream=%s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n", url.QueryEscape(o.stream), u.Host)
	rd := bufio.NewReaderSize(c, 512)
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			c.Close()
			return nil, nil, err
		}
		if strings.HasPrefix(line, "HTTP/1.1 ") && !strings.HasPrefix(line, "HTTP/1.1 200") {
			c.Close()
			return nil, nil, fmt.Errorf("SSE request: %s", strings.TrimSpace(line))
		}
		if strings.HasPrefix(line, "event: confirm_subscription") {
			return c, rd, nil
		}
	}
}

func readerOrEmpty(br *bufio.Reader) io.Reader {
	if br == nil {
		return strings.NewReader("")
	}
	return br
}

// count reads a client's stream until it ends, counting broadcast
// messages ({"n":...}).
func count(rd *bufio.Reader, transport string, got *atomic.Int64) {
	mark := []byte(`"n":`)
	for {
		var msg []byte
		var err error
		if transport == "ws" {
			msg, err = readFrame(rd)
		} else {
			msg, err = rd.ReadSlice('\n')
		}
		if err != nil && err != bufio.ErrBufferFull {
			return
		}
		if bytes.HasPrefix(msg, []byte("data: ")) && bytes.Contains(msg, mark) || transport == "ws" && bytes.Contains(msg, mark) {
			got.Add(1)
		}
	}
}

func publish(ctx context.Context, o options, n int) error {
	body := fmt.Sprintf(`{"stream":%q,"data":"{\"n\":%d}"}`, o.stream, n)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, o.broadcast, strings.NewReader(body))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		return fmt.Errorf("broadcast: HTTP %d", res.StatusCode)
	}
	return nil
}

// readFrame reads one server frame's payload (the server's frames are
// unmasked and its pings are Action Cable messages: nothing to answer).
func readFrame(rd *bufio.Reader) ([]byte, error) {
	f, err := ws.ReadFrame(rd)
	return f.Payload, err
}
