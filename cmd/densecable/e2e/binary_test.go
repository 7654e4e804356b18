package e2e

import (
	"path/filepath"
	"testing"
	"time"
)

// TestBinaryFormats: raw `ws` clients speaking Msgpack and Protobuf (plain
// and extended) through js/codecs.js, an implementation independent of
// densecable's encoders, against densecable and the bench app: welcome,
// subscribe, perform echo, HTTP and application broadcasts, pings, all in
// binary frames. Once per event-loop engine.
func TestBinaryFormats(t *testing.T) {
	requireNode(t)
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) { testBinaryFormats(t, engine) })
	}
}

func testBinaryFormats(t *testing.T, engine string) {
	proto, err := filepath.Abs(filepath.Join("..", "..", "..", "encoders", "acpb", "action_cable.proto"))
	if err != nil {
		t.Fatal(err)
	}
	srv, broadcastURL := startWithBenchApp(t, "--poller="+engine)

	for _, protocol := range []string{
		"actioncable-v1-msgpack",
		"actioncable-v1-ext-msgpack",
		"actioncable-v1-protobuf",
		"actioncable-v1-ext-protobuf",
	} {
		t.Run(protocol, func(t *testing.T) {
			done := runNode(t, 30*time.Second, "binary_client.js",
				"--url="+srv.wsURL(), "--broadcast="+broadcastURL,
				"--protocol="+protocol, "--proto="+proto)
			if done["negotiated"] != protocol {
				t.Errorf("negotiated %v, want %s", done["negotiated"], protocol)
			}
			if done.field("welcome.type") != "welcome" {
				t.Errorf("welcome %s", jsonOf(done["welcome"]))
			}
			if got := jsonOf(done["echo"]); got != `{"action":"echo","n":7,"text":"echo ü 🚀"}` {
				t.Errorf("echo %s", got)
			}
			if got := jsonOf(done.field("broadcast.message")); got != `{"f":1.5,"n":42,"nested":{"a":[1,2,null,true],"s":"\u003cb\u003e\u0026"},"text":"http-1"}` {
				t.Errorf("broadcast %s", got)
			}
			if done["pingTimestamp"] != "number" {
				t.Errorf("ping message is a %v, want a number (timestamp)", done["pingTimestamp"])
			}
			if got := jsonOf(done["close"]); got != `{"code":1000,"reason":""}` {
				t.Errorf("close %s", got)
			}
		})
	}
}
