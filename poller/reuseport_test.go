package poller

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/valyala/fasthttp"
)

// reuseCase is one engine's setup: the TLS one runs on the std engine.
type reuseCase struct {
	name, engine string
	tls          bool
}

var reuseCases = []reuseCase{{"epoll", "epoll", false}, {"netpoll", "netpoll", false}, {"tls", "epoll", true}}

// listenOn starts a server on addr and returns it with its handler, or the
// error Listen gave.
func listenOn(t *testing.T, rc reuseCase, addr string, reusePort bool) (Server, *testHandler, error) {
	t.Helper()
	h := &testHandler{msgs: make(chan string, 100), opened: make(chan *Conn, 1000)}
	h.held.init()
	opts := Options{Addr: addr, ReusePort: reusePort}
	if rc.tls {
		opts.TLS = &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}}
	}
	s, err := New(rc.engine, opts, h, &fasthttp.Server{Handler: func(*fasthttp.RequestCtx) {}}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Listen(); err != nil {
		return nil, nil, err
	}
	go s.Serve()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	return s, h, nil
}

// Two servers with ReusePort bind one port and the kernel hands each of
// them connections: dial until both have opened one.
func TestReusePortSharesConnections(t *testing.T) {
	for _, rc := range reuseCases {
		t.Run(rc.name, func(t *testing.T) {
			a, ha, err := listenOn(t, rc, "127.0.0.1:0", true)
			if err != nil {
				t.Fatal(err)
			}
			addr := a.Addr().String()
			_, hb, err := listenOn(t, rc, addr, true)
			if err != nil {
				t.Fatalf("second listener on %s: %v", addr, err)
			}
			scheme := "ws://"
			d := ws.Dialer{Timeout: 5 * time.Second}
			if rc.tls {
				scheme = "wss://"
				d.TLSConfig = &tls.Config{InsecureSkipVerify: true}
			}
			var na, nb int
			// The kernel hashes each connection's addresses to a listener:
			// two listeners both stay empty after n dials with chance 2^-n.
			deadline := time.Now().Add(30 * time.Second)
			for i := 0; (na == 0 || nb == 0) && i < 200 && time.Now().Before(deadline); i++ {
				c, _, _, err := d.Dial(context.Background(), scheme+addr+"/ws")
				if err != nil {
					t.Fatal(err)
				}
				select {
				case <-ha.opened:
					na++
				case <-hb.opened:
					nb++
				case <-time.After(10 * time.Second):
					t.Fatal("no server opened the connection")
				}
				c.Close()
			}
			if na == 0 || nb == 0 {
				t.Fatalf("connections: first server %d, second %d; want both > 0", na, nb)
			}
		})
	}
}

// Without ReusePort on both, the second bind fails with EADDRINUSE, as
// before the flag existed: two processes never share a port by accident.
func TestReusePortOffSecondBindFails(t *testing.T) {
	for _, rc := range reuseCases {
		for _, pair := range [][2]bool{{false, false}, {true, false}, {false, true}} {
			a, _, err := listenOn(t, rc, "127.0.0.1:0", pair[0])
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = listenOn(t, rc, a.Addr().String(), pair[1])
			if err == nil {
				t.Fatalf("%s reuse %v then %v: second bind succeeded", rc.name, pair[0], pair[1])
			}
			if !errors.Is(err, syscall.EADDRINUSE) || !strings.Contains(err.Error(), "address already in use") {
				t.Errorf("%s reuse %v then %v: error %v, want address already in use", rc.name, pair[0], pair[1], err)
			}
		}
	}
}
