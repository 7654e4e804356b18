package server

import (
	"context"
	"testing"
	"time"

	"github.com/gobwas/ws"
)

// While the disconnect queue holds more Disconnect calls than --max-conn,
// the server stops accepting (the new client waits in the kernel's
// backlog); once the queue drains it is served, and no Disconnect call was
// dropped on the way.
func TestDisconnectBacklogPausesAccept(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		app := startTestApp(t)
		srv := startServer(t, "--rpc_host="+app.addr, "--max-conn=3", "--disconnect_rate=1", "--disconnect_mode=always")

		// Three waves of three clients that connect and leave: the queue,
		// drained at one call a second, ends up well over its bound of 3.
		for wave := 0; wave < 3; wave++ {
			var cs []*client
			for i := 0; i < 3; i++ {
				c := dial(t, srv.wsURL("/cable?user=bp"))
				if got := c.read(); got != `{"type":"welcome"}` {
					t.Fatalf("welcome: %s", got)
				}
				cs = append(cs, c)
			}
			for _, c := range cs {
				c.conn.Close()
			}
			eventually(t, "clients gone", func() bool { return srv.node.Stats().Clients.Load() == 0 })
		}
		eventually(t, "accepting paused", srv.node.AcceptPaused)

		// Not served while paused: the handshake gets no answer.
		d := ws.Dialer{Timeout: 300 * time.Millisecond}
		if conn, _, _, err := d.Dial(context.Background(), srv.wsURL("/cable?user=late")); err == nil {
			conn.Close()
			t.Fatal("a connection was accepted while the disconnect queue was over its bound")
		}

		// Served again once the queue drains.
		eventually(t, "accepting resumed", func() bool { return !srv.node.AcceptPaused() })
		c := dial(t, srv.wsURL("/cable?user=later"))
		if got := c.read(); got != `{"type":"welcome"}` {
			t.Fatalf("welcome after resume: %s", got)
		}
		eventually(t, "every Disconnect call made", func() bool { return len(app.disconnectCalls()) >= 9 })
	})
}
