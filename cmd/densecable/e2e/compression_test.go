package e2e

import (
	"testing"
	"time"
)

// TestCompressionActionCable: @rails/actioncable over Node's ws with
// permessage-deflate against --enable_ws_compression, on each engine. The
// extension is agreed without context takeover, a large message the client
// compressed is inflated and echoed, and a large broadcast arrives
// compressed: the socket carries a fraction of the message's bytes.
func TestCompressionActionCable(t *testing.T) {
	requireNode(t)
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			srv, broadcastURL := startWithBenchApp(t, "--poller="+engine, "--enable_ws_compression")
			done := runNode(t, 60*time.Second, "compression_client.js",
				"--url="+srv.wsURL(), "--broadcast="+broadcastURL, "--room=z-"+engine)
			if ext := done["extensions"]; ext != "permessage-deflate" {
				t.Errorf("negotiated extensions %v", ext)
			}
			if got := jsonOf(done["params"]); got != `{"client_no_context_takeover":true,"server_no_context_takeover":true}` {
				t.Errorf("agreed parameters %s", got)
			}
			size := done.field("size").(float64)
			// 40 KB of a repeated phrase deflates to well under a tenth.
			for _, path := range []string{"echo.written", "echo.read", "broadcast.read"} {
				if n := done.field(path).(float64); n <= 0 || n > size/10 {
					t.Errorf("%s: %v bytes on the socket for a %v-byte message: not compressed", path, n, size)
				}
			}
		})
	}
}
