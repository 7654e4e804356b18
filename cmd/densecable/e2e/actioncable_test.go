package e2e

import (
	"testing"
	"time"
)

// TestRailsActionCable: the official @rails/actioncable client connects,
// subscribes, performs, receives HTTP and application broadcasts,
// unsubscribes, and comes back by itself after densecable restarts (see
// js/actioncable_client.js for the steps). Once per event-loop engine.
func TestRailsActionCable(t *testing.T) {
	requireNode(t)
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) { testRailsActionCable(t, engine) })
	}
}

func testRailsActionCable(t *testing.T, engine string) {
	srv, broadcastURL := startWithBenchApp(t, "--poller="+engine)

	js := startNode(t, 60*time.Second, "actioncable_client.js",
		"--url="+srv.wsURL(), "--broadcast="+broadcastURL, "--room=e2e")
	if got := js.await("subscribed").field("protocol"); got != "actioncable-v1-json" {
		t.Errorf("negotiated sub-protocol %v, want actioncable-v1-json", got)
	}

	js.await("restart")
	srv = srv.restart(t)
	js.send("restarted")
	done := js.finish()

	if got, want := jsonOf(done["disconnect"]), `{"reason":"server_restart","reconnect":true,"type":"disconnect"}`; got != want {
		t.Errorf("shutdown message %s, want %s", got, want)
	}
	if got := jsonOf(done["close"]); got != `{"code":1001,"reason":"Server restart"}` {
		t.Errorf("shutdown close %s, want 1001 Server restart", got)
	}
	if done["willAttemptReconnect"] != true || done["reconnected"] != true {
		t.Errorf("client did not treat the restart as reconnectable: %s", jsonOf(done))
	}
	if got := jsonOf(done["echo"]); got != `{"action":"echo","text":"ping-1"}` {
		t.Errorf("echo %s", got)
	}
}
