package server

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/nats-io/nats.go"

	redisconn "github.com/densecable/densecable/broker/conn/redis"
	"github.com/densecable/densecable/broker/testservers"
)

// Chaos tests: a dependency (Redis, NATS) of a running server is killed
// and started again while publications flow to subscribed WebSocket
// clients. The servers are the tests' own, on free ports; the shared ones
// are never touched. "Lost" counts only publications acknowledged to the
// publisher that some client never received.

const (
	chaosClients  = 10
	chaosInterval = 10 * time.Millisecond // one publication per interval
	chaosOutage   = 3 * time.Second
)

// chaosConfig makes max_reconnect_attempts 1 (a TOML-only setting), so the
// unhealthy state shows within a short outage.
func chaosConfig(t *testing.T) []string {
	path := filepath.Join(t.TempDir(), "anycable.toml")
	toml := "[redis]\nmax_reconnect_attempts = 1\n[nats]\nmax_reconnect_attempts = 1\n"
	if err := os.WriteFile(path, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"--ignore-config-path=false", "--config-path=" + path, "--public"}
}

var chaosN = regexp.MustCompile(`"message":\{"n":(\d+)\}`)

// chaosSubscriber is a client subscribed to the stream that records every
// publication number it receives.
type chaosSubscriber struct {
	mu  sync.Mutex
	got map[int]bool
}

func (s *chaosSubscriber) has(n int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got[n]
}

func (s *chaosSubscriber) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.got)
}

func subscribeChaos(t *testing.T, a *app, stream string) *chaosSubscriber {
	t.Helper()
	c := dial(t, a.wsURL("/cable"), "actioncable-v1-ext-json")
	if w := c.read(); !strings.Contains(w, "welcome") {
		t.Fatalf("welcome: %s", w)
	}
	c.send(map[string]string{"command": "subscribe", "identifier": `{"channel":"$pubsub","stream_name":"` + stream + `"}`})
	if got := c.read(); !strings.Contains(got, "confirm_subscription") {
		t.Fatalf("confirm: %s", got)
	}
	s := &chaosSubscriber{got: map[int]bool{}}
	go func() {
		// Ends when the test's cleanup closes the connection.
		for {
			op, p, err := c.next(time.Minute)
			if err != nil || op == ws.OpClose {
				return
			}
			if m := chaosN.FindSubmatch(p); m != nil {
				n, _ := strconv.Atoi(string(m[1]))
				s.mu.Lock()
				s.got[n] = true
				s.mu.Unlock()
			}
		}
	}()
	return s
}

func healthStatus(a *app) int {
	c := http.Client{Timeout: 2 * time.Second}
	res, err := c.Get(a.httpURL(a.cfg.Server.HealthPath))
	if err != nil {
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}

// chaosResult is what a publisher saw: for each publication number, when it
// was acknowledged (zero: refused).
type chaosResult struct {
	acked   map[int]time.Time
	refused int
}

// runChaos subscribes clients, publishes every chaosInterval through
// publish (nil error: acknowledged), and in the middle runs outage (which
// kills the dependency, waits and starts it again). It checks the server
// keeps running, /health answers 503 during the outage and 200 within the
// back-off cap after it, and waits (bounded) for the clients to get every
// acknowledged publication. It returns the publisher's view, the moments
// the dependency came back and /health was 200 again, and the subscribers.
func runChaos(t *testing.T, a *app, stream string, publish func(ctx context.Context, n int) error, kill, start func()) (chaosResult, time.Time, time.Time, []*chaosSubscriber) {
	t.Helper()
	subs := make([]*chaosSubscriber, chaosClients)
	for i := range subs {
		subs[i] = subscribeChaos(t, a, stream)
	}
	res := chaosResult{acked: map[int]time.Time{}}
	var mu sync.Mutex
	var next atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(chaosInterval)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			n := int(next.Add(1))
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			err := publish(ctx, n)
			cancel()
			mu.Lock()
			if err == nil {
				res.acked[n] = time.Now()
			} else {
				res.refused++
			}
			mu.Unlock()
		}
	}()
	stopped := false
	stopPublishing := func() {
		if !stopped {
			stopped = true
			close(stop)
			wg.Wait()
		}
	}
	defer stopPublishing()

	// Every client hears the stream before the outage.
	waitUntil(t, "every client to receive a publication", 15*time.Second, func() bool {
		for _, s := range subs {
			if s.count() == 0 {
				return false
			}
		}
		return true
	})
	if st := healthStatus(a); st != 200 {
		t.Fatalf("/health = %d before the outage", st)
	}
	ackedSince := func(from time.Time) int {
		mu.Lock()
		defer mu.Unlock()
		k := 0
		for _, at := range res.acked {
			if at.After(from) {
				k++
			}
		}
		return k
	}
	ready := time.Now()
	waitUntil(t, "publications before the outage", 15*time.Second, func() bool { return ackedSince(ready) >= 50 })

	kill()
	down := time.Now()
	waitUntil(t, "/health to answer 503 while the dependency is away", 15*time.Second, func() bool { return healthStatus(a) == 503 })
	if d := chaosOutage - time.Since(down); d > 0 {
		// The outage itself (not a synchronisation): the dependency
		// stays away this long while publications go on.
		time.Sleep(d)
	}
	start()
	back := time.Now()
	waitUntil(t, "/health to answer 200 again", 15*time.Second, func() bool { return healthStatus(a) == 200 })
	healthy := time.Now()
	// Publish on until 100 more are acknowledged, then stop.
	waitUntil(t, "publications after the recovery", 20*time.Second, func() bool { return ackedSince(healthy) >= 100 })
	stopPublishing()

	// Still serving: a new client is welcomed.
	late := dial(t, a.wsURL("/cable"), "actioncable-v1-ext-json")
	if w := late.read(); !strings.Contains(w, "welcome") {
		t.Fatalf("welcome after the outage: %s", w)
	}
	return res, back, healthy, subs
}

// missing waits (bounded) until the subscribers hold every publication in
// want, then returns how many (client, publication) pairs are missing.
func missing(t *testing.T, subs []*chaosSubscriber, want []int) int {
	return missingAfter(t, subs, want, 10*time.Second)
}

func missingAfter(t *testing.T, subs []*chaosSubscriber, want []int, wait time.Duration) int {
	t.Helper()
	count := func() int {
		k := 0
		for _, s := range subs {
			for _, n := range want {
				if !s.has(n) {
					k++
				}
			}
		}
		return k
	}
	deadline := time.Now().Add(wait)
	for count() > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	return count()
}

func waitUntil(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func ackedBetween(r chaosResult, from, to time.Time) []int {
	var out []int
	for n, at := range r.acked {
		if !at.Before(from) && (to.IsZero() || at.Before(to)) {
			out = append(out, n)
		}
	}
	return out
}

func allAcked(r chaosResult) []int { return ackedBetween(r, time.Time{}, time.Time{}) }

// Redis (appendonly) restarted during redisx broadcasting: every
// publication Redis acknowledged (XADD) reaches every client, the server
// keeps running, /health is 503 while Redis is away and 200 again within the
// 5 s back-off cap of its return.
func TestChaosRedisRestartDuringRedisxBroadcasting(t *testing.T) {
	dir := t.TempDir()
	srv := testservers.StartRedisPersistent(t, dir)
	redisStream := testservers.UniqueName("chaos_redisx")
	a := startServer(t, append(chaosConfig(t), "--broadcast_adapter=redisx", "--redis_url="+srv.RedisURL(), "--redisx_stream="+redisStream)...)
	pub, err := redisconn.NewRedisClient(redisconn.RedisOptions{URL: srv.RedisURL()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pub.Close)
	stream := testservers.UniqueName("chaos")
	publish := func(ctx context.Context, n int) error {
		payload := fmt.Sprintf(`{"stream":%q,"data":"{\"n\":%d}"}`, stream, n)
		return pub.Do(ctx, pub.B().Xadd().Key(redisStream).Id("*").FieldValue().FieldValue("payload", payload).Build()).Error()
	}
	res, back, healthy, subs := runChaos(t, a, stream, publish, srv.Kill, srv.Start)
	acked := allAcked(res)
	lost := missing(t, subs, acked)
	t.Logf("redisx: %d acknowledged, %d refused while Redis was away; /health 200 %s after Redis came back; %d of %d deliveries missing",
		len(acked), res.refused, healthy.Sub(back).Round(time.Millisecond), lost, len(acked)*len(subs))
	if lost != 0 {
		t.Fatalf("%d acknowledged deliveries lost", lost)
	}
	if d := healthy.Sub(back); d > 9*time.Second {
		t.Fatalf("/health took %s to recover (back-off cap 5 s)", d)
	}
}

// NATS restarted during NATS broadcasting (core NATS fan-out): the server
// survives and recovers. Core NATS keeps nothing: a publication the
// publisher's server accepted while this node's subscription was not back
// yet reaches nobody (as with the reference); the test reports that window
// and requires every publication acknowledged before the outage and after
// the recovery to be delivered.
func TestChaosNATSRestartDuringNATSBroadcasting(t *testing.T) {
	srv := testservers.StartNATS(t)
	a := startServer(t, append(chaosConfig(t), "--broadcast_adapter=nats", "--nats_servers="+srv.NATSURL())...)
	nc, err := nats.Connect(srv.NATSURL(), nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	stream := testservers.UniqueName("chaos")
	// Acknowledged: the publisher's server has it (a flush round trip).
	publish := func(ctx context.Context, n int) error {
		if !nc.IsConnected() {
			return nats.ErrConnectionReconnecting
		}
		if err := nc.Publish(a.cfg.Broadcast.NATSChannel, fmt.Appendf(nil, `{"stream":%q,"data":"{\"n\":%d}"}`, stream, n)); err != nil {
			return err
		}
		return nc.FlushWithContext(ctx)
	}
	checkFanOutOutage(t, "nats broadcast", "NATS", a, stream, publish, srv)
}

// Redis restarted during Redis Pub/Sub broadcasting (`redis`, fan-out): the
// server survives and recovers; what it read is delivered. Pub/Sub keeps
// nothing: a PUBLISH Redis accepted while this node was not subscribed again
// yet reaches no one (as with the reference); the test reports that window
// and requires every publication acknowledged before the outage and after the
// recovery to be delivered.
func TestChaosRedisRestartDuringRedisBroadcasting(t *testing.T) {
	srv := testservers.StartRedis(t)
	channel := testservers.UniqueName("chaos_redis")
	a := startServer(t, append(chaosConfig(t), "--broadcast_adapter=redis", "--redis_url="+srv.RedisURL(), "--redis_channel="+channel)...)
	pub, err := redisconn.NewRedisClient(redisconn.RedisOptions{URL: srv.RedisURL()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pub.Close)
	stream := testservers.UniqueName("chaos")
	publish := func(ctx context.Context, n int) error {
		msg := fmt.Sprintf(`{"stream":%q,"data":"{\"n\":%d}"}`, stream, n)
		return pub.Do(ctx, pub.B().Publish().Channel(channel).Message(msg).Build()).Error()
	}
	checkFanOutOutage(t, "redis broadcast", "Redis", a, stream, publish, srv)
}

// httpPublish posts to the broadcast endpoint: 201 is an acknowledgement,
// anything else a refusal.
func httpPublish(a *app, stream string) func(ctx context.Context, n int) error {
	c := &http.Client{Timeout: 2 * time.Second}
	url := "http://" + a.bcastLn.Addr().String() + a.cfg.Broadcast.HTTPPath
	return func(ctx context.Context, n int) error {
		body := fmt.Sprintf(`{"stream":%q,"data":"{\"n\":%d}"}`, stream, n)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
		if err != nil {
			return err
		}
		res, err := c.Do(req)
		if err != nil {
			return err
		}
		res.Body.Close()
		if res.StatusCode != http.StatusCreated {
			return fmt.Errorf("broadcast: %d", res.StatusCode)
		}
		return nil
	}
}

// NATS (JetStream) restarted under the NATS broker and pub/sub with HTTP
// broadcasting: a publication the endpoint acknowledged (201) reaches every
// client; while NATS is away the endpoint refuses with 5xx.
func TestChaosNATSRestartWithNATSBroker(t *testing.T) {
	srv := testservers.StartNATSJetStream(t, t.TempDir())
	a := startServer(t, append(chaosConfig(t), "--broker=nats", "--pubsub=nats", "--nats_servers="+srv.NATSURL())...)
	stream := testservers.UniqueName("chaos")
	res, back, healthy, subs := runChaos(t, a, stream, httpPublish(a, stream), srv.Kill, srv.Start)
	acked := allAcked(res)
	lost := missing(t, subs, acked)
	for _, n := range acked {
		k := 0
		for _, s := range subs {
			if !s.has(n) {
				k++
			}
		}
		if k > 0 {
			t.Logf("publication %d acknowledged %s after NATS came back: missing at %d clients", n, res.acked[n].Sub(back), k)
		}
	}
	t.Logf("nats broker: %d acknowledged, %d refused; /health 200 %s after NATS came back; %d of %d deliveries missing",
		len(acked), res.refused, healthy.Sub(back).Round(time.Millisecond), lost, len(acked)*len(subs))
	if res.refused == 0 {
		t.Fatal("nothing was refused while NATS was away")
	}
	if lost != 0 {
		t.Fatalf("%d acknowledged deliveries lost", lost)
	}
	if d := healthy.Sub(back); d > 9*time.Second {
		t.Fatalf("/health took %s to recover (back-off cap 5 s)", d)
	}
}

// Redis (appendonly) restarted under the Redis broker and pub/sub with HTTP
// broadcasting: a publication the endpoint acknowledged (201) reaches every
// client; while Redis is away the endpoint refuses with 5xx.
func TestChaosRedisRestartWithRedisBroker(t *testing.T) {
	srv := testservers.StartRedisPersistent(t, t.TempDir())
	a := startServer(t, append(chaosConfig(t), "--broker=redis", "--pubsub=redis", "--redis_url="+srv.RedisURL())...)
	stream := testservers.UniqueName("chaos")
	res, back, healthy, subs := runChaos(t, a, stream, httpPublish(a, stream), srv.Kill, srv.Start)
	acked := allAcked(res)
	lost := missing(t, subs, acked)
	t.Logf("redis broker: %d acknowledged, %d refused; /health 200 %s after Redis came back; %d of %d deliveries missing",
		len(acked), res.refused, healthy.Sub(back).Round(time.Millisecond), lost, len(acked)*len(subs))
	if res.refused == 0 {
		t.Fatal("nothing was refused while Redis was away")
	}
	if lost != 0 {
		t.Fatalf("%d acknowledged deliveries lost", lost)
	}
	if d := healthy.Sub(back); d > 9*time.Second {
		t.Fatalf("/health took %s to recover (back-off cap 5 s)", d)
	}
}

// checkFanOutOutage runs runChaos for a fan-out broadcaster (Redis Pub/Sub,
// core NATS: nothing is kept while this node resubscribes) and requires every
// publication acknowledged before the kill and after /health is 200 again to
// be delivered; the window in between is reported, not required.
func checkFanOutOutage(t *testing.T, name, dep string, a *app, stream string, publish func(context.Context, int) error, srv *testservers.Server) {
	t.Helper()
	var killed time.Time
	res, back, healthy, subs := runChaos(t, a, stream, publish, func() { killed = time.Now(); srv.Kill() }, srv.Start)
	before, window, after := ackedBetween(res, time.Time{}, killed), ackedBetween(res, killed, healthy), ackedBetween(res, healthy, time.Time{})
	lostBefore, lostAfter := missing(t, subs, before), missing(t, subs, after)
	// Deliveries keep the publisher's order: once the later ones are in,
	// a missing earlier one will not come.
	lostWindow := missingAfter(t, subs, window, 0)
	t.Logf("%s: %d acknowledged (%d before the kill, %d between the kill and /health 200, %d after), %d refused; /health 200 %s after %s came back; deliveries missing: %d before, %d of %d in the window, %d after",
		name, len(allAcked(res)), len(before), len(window), len(after), res.refused, healthy.Sub(back).Round(time.Millisecond), dep,
		lostBefore, lostWindow, len(window)*len(subs), lostAfter)
	if lostBefore != 0 || lostAfter != 0 {
		t.Fatalf("deliveries lost outside the outage: %d before, %d after", lostBefore, lostAfter)
	}
	if d := healthy.Sub(back); d > 9*time.Second {
		t.Fatalf("/health took %s to recover (back-off cap 5 s)", d)
	}
}
