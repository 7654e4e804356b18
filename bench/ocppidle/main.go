// Command densecable-ocppidle measures what an idle OCPP charge point costs
// the server next to an idle Action Cable client: it opens --conns
// connections of one --mode, each booted (ocpp: BootNotification answered)
// or subscribed (cable: welcome, then confirm_subscription), holds them
// for --hold, and prints the server's RSS above its baseline per
// connection as one JSON line. Run it once per mode against a fresh server
// (bench/ocpp-idle.sh does).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/densecable/densecable/bench/internal/opener"
	"github.com/densecable/densecable/bench/internal/procstat"
)

type result struct {
	Mode       string  `json:"mode"`
	Conns      int     `json:"conns"`
	OK         int64   `json:"ok"`
	Failed     int64   `json:"failed"`
	BaseRSSMB  float64 `json:"server_rss_base_mb"`
	RSSMB      float64 `json:"server_rss_mb"`
	KBPerConn  float64 `json:"kb_per_conn"`
	FirstError string  `json:"first_error,omitempty"`
}

func main() {
	server := flag.String("server", "127.0.0.1:8080", "server host:port")
	mode := flag.String("mode", "ocpp", "ocpp (charge points at /ocpp/CP-n, a stream each), cable (Action Cable at /cable, one shared stream) or cable-own (a stream each, like charge points)")
	conns := flag.Int("conns", 10000, "connections")
	hold := flag.Duration("hold", 10*time.Second, "how long to hold them before reading RSS")
	pid := flag.Int("server-pid", 0, "server process id (RSS)")
	parallel := flag.Int("parallel", 64, "handshakes in flight")
	flag.Parse()
	if *pid == 0 || (*mode != "ocpp" && *mode != "cable" && *mode != "cable-own") {
		fmt.Fprintln(os.Stderr, "need --server-pid and --mode=ocpp|cable|cable-own")
		os.Exit(2)
	}
	base, err := procstat.Read(*pid)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	res := result{Mode: *mode, Conns: *conns, BaseRSSMB: mb(base.RSS)}
	open := opener.Open(*conns, *parallel, false, func(i int) (net.Conn, error) {
		c, err := dial(*server, *mode, i)
		if err == nil {
			// Keep reading (Action Cable pings) so the server's output
			// never backs up; answer nothing.
			go func() { _, _ = drain(c) }()
		}
		return c, err
	})
	if open.FirstErr != nil {
		res.FirstError = open.FirstErr.Error()
	}
	time.Sleep(*hold)
	s, err := procstat.Read(*pid)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	res.OK, res.Failed, res.RSSMB = int64(len(open.Conns)), int64(open.Failed), mb(s.RSS)
	if res.OK > 0 {
		res.KBPerConn = float64(s.RSS-base.RSS) / 1024 / float64(res.OK)
	}
	open.Close()
	_ = json.NewEncoder(os.Stdout).Encode(res)
}

// dial opens one connection and completes its handshake: a booted charge
// point or a subscribed Action Cable client.
func dial(server, mode string, i int) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d := ws.Dialer{Protocols: []string{"actioncable-v1-json"}}
	url := "ws://" + server + "/cable"
	if mode == "ocpp" {
		d.Protocols = []string{"ocpp1.6"}
		url = fmt.Sprintf("ws://%s/ocpp/CP-%d", server, i)
	}
	c, br, _, err := d.Dial(ctx, url)
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	// Bytes the handshake read ahead (an early welcome) are in br.
	var src io.Reader = c
	if br != nil {
		src = br
	}
	read := func() (string, error) {
		b, err := wsutil.ReadServerText(readWriter{src, c})
		return string(b), err
	}
	send := func(s string) error { return wsutil.WriteClientText(c, []byte(s)) }
	if mode == "ocpp" {
		err = send(`[2,"boot","BootNotification",{"chargePointVendor":"bench","chargePointModel":"idle"}]`)
		if err == nil {
			err = expect(read, `[3,"boot",{"status":"Accepted"`)
		}
	} else {
		err = expect(read, `{"type":"welcome"`)
		if err == nil {
			id := `{\"channel\":\"BenchmarkChannel\"}`
			if mode == "cable-own" {
				id = fmt.Sprintf(`{\"channel\":\"BenchmarkChannel\",\"id\":%d}`, i)
			}
			err = send(`{"command":"subscribe","identifier":"` + id + `"}`)
		}
		if err == nil {
			err = expect(read, `{"type":"confirm_subscription"`)
		}
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	_ = c.SetDeadline(time.Time{})
	return conn{c, src}, nil
}

// conn reads through the handshake's reader.
type conn struct {
	net.Conn
	r io.Reader
}

func (c conn) Read(p []byte) (int, error) { return c.r.Read(p) }

// expect reads messages (skipping pings) until one starts with prefix.
func expect(read func() (string, error), prefix string) error {
	for {
		m, err := read()
		if err != nil {
			return err
		}
		if strings.HasPrefix(m, prefix) {
			return nil
		}
		if !strings.Contains(m, `"type":"ping"`) {
			return errors.New("unexpected message " + m)
		}
	}
}

func drain(c net.Conn) (int64, error) {
	buf := make([]byte, 512)
	var n int64
	for {
		k, err := c.Read(buf)
		n += int64(k)
		if err != nil {
			return n, err
		}
	}
}

type readWriter struct {
	r io.Reader
	w net.Conn
}

func (rw readWriter) Read(p []byte) (int, error)  { return rw.r.Read(p) }
func (rw readWriter) Write(p []byte) (int, error) { return rw.w.Write(p) }

func mb(b uint64) float64 { return float64(b) / (1 << 20) }
