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

// TestCompressionActionCableTakeover: the same client against
// --ws_compression_context_takeover. Node's ws (zlib) offers
// client_max_window_bits, is answered without the no_context_takeover
// parameters, keeps its window, and its second echo of the same varied
// text refers back to the first: a fraction of its bytes on the wire, which
// the server inflates with the connection's history.
func TestCompressionActionCableTakeover(t *testing.T) {
	requireNode(t)
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			srv, broadcastURL := startWithBenchApp(t, "--poller="+engine, "--enable_ws_compression", "--ws_compression_context_takeover")
			done := runNode(t, 60*time.Second, "compression_client.js",
				"--url="+srv.wsURL(), "--broadcast="+broadcastURL, "--room=zt-"+engine)
			if got := jsonOf(done["params"]); got != `{}` {
				t.Errorf("agreed parameters %s, want none (takeover both ways)", got)
			}
			repeat, _ := done["repeat"].([]any)
			t.Logf("bytes written for the same text twice: %v", repeat)
			if len(repeat) != 2 || repeat[1].(float64)*3 > repeat[0].(float64) {
				t.Errorf("bytes written for the same text twice: %v; the second should refer back to the first", repeat)
			}
		})
	}
}
