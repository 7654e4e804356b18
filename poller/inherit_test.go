package poller

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/gobwas/ws"
)

// inheritedCopy is what a socket-activated process gets: its own
// descriptor of a socket the supervisor keeps.
func inheritedCopy(t *testing.T, held net.Listener) net.Listener {
	t.Helper()
	f, err := held.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ln, err := net.FileListener(f)
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func serveOn(t *testing.T, engine string, ln net.Listener) Server {
	t.Helper()
	s, _ := startPoller(t, engine, Options{Listener: ln})
	return s
}

// A server takes a passed listener instead of binding; StopAccepting
// closes only its own descriptor, so a connection made afterwards waits in
// the supervisor's socket and the next server generation serves it.
func TestInheritedListenerOutlivesAGeneration(t *testing.T) {
	for _, engine := range Engines {
		t.Run(engine, func(t *testing.T) {
			held, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer held.Close()
			url := "ws://" + held.Addr().String() + "/ws"
			gen1 := serveOn(t, engine, inheritedCopy(t, held))
			if gen1.Addr().String() != held.Addr().String() {
				t.Fatalf("serving %v, passed %v", gen1.Addr(), held.Addr())
			}
			c, _, _, err := ws.Dial(context.Background(), url)
			if err != nil {
				t.Fatalf("generation 1: %v", err)
			}
			c.Close()
			gen1.StopAccepting()

			// Not refused: the socket is still open in the supervisor.
			pending, err := net.DialTimeout("tcp", held.Addr().String(), 5*time.Second)
			if err != nil {
				t.Fatalf("connect between generations: %v", err)
			}
			defer pending.Close()

			serveOn(t, engine, inheritedCopy(t, held))
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c2, _, _, err := ws.Dialer{NetDial: func(context.Context, string, string) (net.Conn, error) { return pending, nil }}.Dial(ctx, url)
			if err != nil {
				t.Fatalf("the connection made between generations, served by generation 2: %v", err)
			}
			c2.Close()
		})
	}
}

// Every loop the server runs answers a wake-up while idle, so the watchdog
// can tell an idle loop from a stalled one.
func TestHeartbeatsAnswerWakeWhileIdle(t *testing.T) {
	for _, engine := range Engines {
		t.Run(engine, func(t *testing.T) {
			// No sweep for an hour: only the wake-up can make the sweeper go round.
			s, _ := startPoller(t, engine, Options{SweepInterval: time.Hour})
			beats := s.Heartbeats()
			if engine == "epoll" && len(beats) < 2 {
				t.Fatalf("%d heartbeats: want the sweeper and every epoll loop", len(beats))
			}
			for _, b := range beats {
				before := b.Count()
				deadline := time.Now().Add(15 * time.Second)
				for b.Count() == before {
					if time.Now().After(deadline) {
						t.Fatalf("%s did not answer a wake-up", b.Name())
					}
					b.Wake()
					time.Sleep(5 * time.Millisecond)
				}
			}
		})
	}
}
