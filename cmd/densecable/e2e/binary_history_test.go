package e2e

import (
	"path/filepath"
	"testing"
	"time"
)

// TestBinaryHistory: the history command over the extended binary formats
// (js/binary_history.js, encoded by js/codecs.js) against densecable with
// the memory broker and the bench app. Three HTTP broadcasts arrive live
// with offsets 1..3 and the server's epoch; history from offset 1 replays
// offsets 2 and 3 as broadcasts and ends with confirm_history; a wrong
// epoch gets reject_history alone.
func TestBinaryHistory(t *testing.T) {
	requireNode(t)
	proto, err := filepath.Abs(filepath.Join("..", "..", "..", "encoders", "acpb", "action_cable.proto"))
	if err != nil {
		t.Fatal(err)
	}
	srv, broadcastURL := startWithBenchApp(t, "--broker=memory")

	for _, protocol := range []string{"actioncable-v1-ext-msgpack", "actioncable-v1-ext-protobuf"} {
		t.Run(protocol, func(t *testing.T) {
			done := runNode(t, 30*time.Second, "binary_history.js",
				"--url="+srv.wsURL(), "--broadcast="+broadcastURL,
				"--protocol="+protocol, "--proto="+proto)
			if done["negotiated"] != protocol {
				t.Errorf("negotiated %v, want %s", done["negotiated"], protocol)
			}
			id, stream, epoch := done["identifier"], done["stream"], done["epoch"]
			if s, _ := epoch.(string); s == "" {
				t.Fatalf("no epoch on live broadcasts: %s", jsonOf(done["live"]))
			}
			broadcastAt := func(offset int) map[string]any {
				return map[string]any{
					"identifier": id, "message": map[string]any{"n": offset},
					"stream_id": stream, "epoch": epoch, "offset": offset,
				}
			}
			reply := func(typ string) map[string]any { return map[string]any{"type": typ, "identifier": id} }

			if got, want := jsonOf(done["live"]), jsonOf([]any{broadcastAt(1), broadcastAt(2), broadcastAt(3)}); got != want {
				t.Errorf("live broadcasts\n got %s\nwant %s", got, want)
			}
			if got, want := jsonOf(done["history"]), jsonOf([]any{broadcastAt(2), broadcastAt(3), reply("confirm_history")}); got != want {
				t.Errorf("history from offset 1\n got %s\nwant %s", got, want)
			}
			if got, want := jsonOf(done["rejected"]), jsonOf([]any{reply("reject_history")}); got != want {
				t.Errorf("history with a wrong epoch\n got %s\nwant %s", got, want)
			}
		})
	}
}
