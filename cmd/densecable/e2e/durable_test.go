package e2e

import (
	"strconv"
	"testing"
	"time"

	"github.com/densecable/densecable/sessions/streams"
)

// checkDurableRun checks ds_scenario.mjs's observations.
func checkDurableRun(t *testing.T, done event, signed bool) {
	t.Helper()
	want := map[string]string{
		"history":  `[{"n":1},{"n":2},{"n":3}]`,
		"polled":   `[{"n":4}]`,
		"streamed": `[{"n":1},{"n":2},{"n":3},{"n":4},{"n":5}]`,
		"after":    `[{"n":4},{"n":5}]`,
	}
	for k, v := range want {
		if got := jsonOf(done.field(k)); got != v {
			t.Errorf("%s: %s, want %s", k, got, v)
		}
	}
	statuses := map[string]float64{"malformed": 400, "badLive": 400, "liveNoOffset": 400, "otherEpoch": 410,
		"noEpoch": 410, "post": 405, "noStream": 400, "head.status": 200}
	if signed {
		statuses["foreign"] = 401
		statuses["unsigned"] = 401
	}
	for k, v := range statuses {
		if got := done.field("bad." + k); got != v {
			t.Errorf("bad request %s: HTTP %v, want %v", k, got, v)
		}
	}
	if off, _ := done.field("offset").(string); off == "" || done.field("bad.head.offset") == off {
		t.Errorf("offsets: catch-up %q, HEAD after two more publications %v", off, done.field("bad.head.offset"))
	}
}

func runDurable(t *testing.T, s *server, bcast, stream string, extra ...string) event {
	t.Helper()
	return runNode(t, 60*time.Second, "ds_scenario.mjs", append([]string{"--base=" + s.httpURL("/ds"),
		"--broadcast=" + bcast, "--stream=" + stream}, extra...)...)
}

// TestDurableStreamsPublic: public streams, memory broker, no RPC, no
// authentication (--ds_skip_auth); on both engines.
func TestDurableStreamsPublic(t *testing.T) {
	requireNode(t)
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			bport := freePort(t)
			s := startServer(t, "--poller="+engine, "--norpc", "--public_streams", "--ds", "--ds_skip_auth",
				"--broker=memory", "--broadcast_adapter=http", "--http_broadcast_port="+strconv.Itoa(bport))
			done := runDurable(t, s, "http://"+hostPort(bport)+"/_broadcast", "chat/room-"+engine)
			checkDurableRun(t, done, false)
		})
	}
}

// TestDurableStreamsSignedRedis: signed streams on the Redis broker, the
// client authenticated by the RPC application (Connect); a token signed for
// another stream opens nothing here.
func TestDurableStreamsSignedRedis(t *testing.T) {
	requireNode(t)
	requireRedis(t, sharedRedis)
	const secret = "ds-e2e-secret"
	s, bcast := startWithBenchApp(t, "--ds", "--streams_secret="+secret, "--broker=redis", "--redis_url="+sharedRedisURL)
	stream := uniqueName("ds_signed")
	done := runDurable(t, s, bcast, stream, "--signed="+streams.SignStream(secret, stream),
		"--foreign="+streams.SignStream(secret, stream+"_other"))
	checkDurableRun(t, done, true)
}

// TestDurableStreamsNATS: history from the NATS JetStream broker, pub/sub
// over NATS, JWT-less public streams.
func TestDurableStreamsNATS(t *testing.T) {
	requireNode(t)
	requireNATS(t, sharedNATS)
	bport := freePort(t)
	s := startServer(t, "--norpc", "--public_streams", "--ds", "--ds_skip_auth", "--broker=nats", "--pubsub=nats",
		"--nats_servers="+sharedNATSURL, "--broadcast_adapter=http", "--http_broadcast_port="+strconv.Itoa(bport))
	done := runDurable(t, s, "http://"+hostPort(bport)+"/_broadcast", uniqueName("ds_nats"))
	checkDurableRun(t, done, false)
}
