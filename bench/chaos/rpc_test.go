package chaos

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

const benchIdentifier = `{"channel":"BenchmarkChannel"}`

// rpcApp is the benchmark RPC application as a subprocess on a fixed port,
// so that it can be killed and started again where the server expects it.
type rpcApp struct {
	t         *testing.T
	transport string // grpc or http
	port      int
	bport     int
	p         *proc
}

func (a *rpcApp) start() {
	a.t.Helper()
	addr := "127.0.0.1:" + strconv.Itoa(a.port)
	args := []string{binary(a.t, "bench/app"), "--grpc=", "--http=", "--log_level=warn",
		fmt.Sprintf("--broadcast_url=http://127.0.0.1:%d/_broadcast", a.bport)}
	if a.transport == "grpc" {
		args[1] = "--grpc=" + addr
	} else {
		args[2] = "--http=" + addr
	}
	a.p = startProc(a.t, "benchapp", args...)
	waitFor(a.t, 30*time.Second, "the RPC application to listen", func() bool {
		if a.p.exited() {
			a.t.Fatalf("benchapp exited: %v\n%s", a.p.err, a.p.logs())
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

func (a *rpcApp) rpcHost() string {
	if a.transport == "grpc" {
		return "127.0.0.1:" + strconv.Itoa(a.port)
	}
	return "http://127.0.0.1:" + strconv.Itoa(a.port)
}

// attempt is one client's connect + subscribe.
type attempt struct {
	start, end time.Time
	outcome    string // see oneAttempt
}

// Outcomes of an attempt.
const (
	outSubscribed = "subscribed"
	outAuthError  = "close 1011 Auth Error" // Connect failed: documented, no disconnect message
	outNoConfirm  = "subscribe unanswered"  // Subscribe failed: documented, no reply, connection open
)

// TestRPCApplicationKilledAndRestarted kills the RPC application (SIGKILL)
// while clients keep connecting and subscribing, then starts it again:
//   - connections made while it is away are closed with 1011 "Auth Error"
//     (no disconnect message) within the RPC command timeout, never left
//     hanging;
//   - a subscribe sent while it is away gets no reply and leaves the
//     connection open, and the same subscribe succeeds once it is back;
//   - clients subscribed before the outage keep receiving broadcasts;
//   - once the application is back, every client recovers within a bound.
func TestRPCApplicationKilledAndRestarted(t *testing.T) {
	for _, transport := range []string{"grpc", "http"} {
		t.Run(transport, func(t *testing.T) { testRPCOutage(t, transport) })
	}
}

func testRPCOutage(t *testing.T, transport string) {
	const (
		workers = 12
		// rpc_command_timeout bounds Connect with its retries; the rest is
		// slack for a loaded machine.
		commandTimeout = 3 * time.Second
		resolveBound   = commandTimeout + 7*time.Second
		recoverBound   = 20 * time.Second
	)
	app := &rpcApp{t: t, transport: transport, port: freePort(t), bport: freePort(t)}
	app.start()
	srv := startServerWithBroadcastPort(t, app.bport, "--rpc_host="+app.rpcHost(), "--rpc_command_timeout=3000")
	url := fmt.Sprintf("ws://%s/cable", srv.addr())

	// A client subscribed before the outage.
	steady := dialCable(t, url)
	steady.mustRead(t, "welcome")
	steady.send(t, fmt.Sprintf(`{"command":"subscribe","identifier":%q}`, benchIdentifier))
	steady.mustRead(t, "confirm_subscription")

	var mu sync.Mutex
	var log []attempt
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				a := attempt{start: time.Now()}
				a.outcome = oneAttempt(url, resolveBound)
				a.end = time.Now()
				mu.Lock()
				log = append(log, a)
				mu.Unlock()
				if a.outcome != outSubscribed {
					// Pace retries as real clients do (they back off
					// for seconds), without hiding a hang.
					select {
					case <-ctx.Done():
					case <-time.After(50 * time.Millisecond):
					}
				}
			}
		}()
	}
	defer func() { stop(); wg.Wait() }()
	// count reports attempts that started after from and match pred.
	count := func(from time.Time, pred func(attempt) bool) (n int) {
		mu.Lock()
		defer mu.Unlock()
		for _, a := range log {
			if !a.start.Before(from) && pred(a) {
				n++
			}
		}
		return n
	}
	is := func(o string) func(attempt) bool { return func(a attempt) bool { return a.outcome == o } }
	any := func(attempt) bool { return true }

	t0 := time.Now()
	waitFor(t, 30*time.Second, "clients subscribing with the application up", func() bool { return count(t0, is(outSubscribed)) >= 2*workers })

	// A client welcomed before the outage, subscribing during it.
	late := dialCable(t, url)
	late.mustRead(t, "welcome")

	app.p.kill()
	killedAt := time.Now()
	t.Logf("RPC application killed (%s)", transport)

	late.send(t, fmt.Sprintf(`{"command":"subscribe","identifier":%q}`, benchIdentifier))
	if msg, err := late.readWithin(commandTimeout + 2*time.Second); err == nil {
		t.Errorf("subscribe during the outage: want no reply, got %s", msg)
	} else if !isTimeout(err) {
		t.Errorf("subscribe during the outage closed the connection: %v", err)
	}

	// Connections during the outage are refused, each within the bound.
	margin := killedAt.Add(100 * time.Millisecond)
	waitFor(t, 3*resolveBound, "connection attempts to resolve during the outage", func() bool { return count(margin, any) >= 2*workers })
	if n, bad := count(margin, any), count(margin, func(a attempt) bool { return a.outcome != outAuthError }); bad > 0 {
		t.Errorf("%d of %d attempts started during the outage did not end in %q", bad, n, outAuthError)
	}

	// Broadcasts do not need the application: the steady client gets one.
	if err := srv.broadcast("all", benchMessage("during the outage")); err != nil {
		t.Fatal(err)
	}
	steady.mustRead(t, "during the outage")

	app.start()
	restartedAt := time.Now()
	waitFor(t, recoverBound, "every worker to subscribe again after the restart", func() bool {
		mu.Lock()
		defer mu.Unlock()
		// Each worker's attempts are sequential, so workers successes that
		// started after the restart mean recovery for all but the unlucky;
		// require twice as many to be sure every worker got through.
		n := 0
		for _, a := range log {
			if !a.start.Before(restartedAt) && a.outcome == outSubscribed {
				n++
			}
		}
		return n >= 2*workers
	})
	recoveredAt := time.Now()
	recovered := recoveredAt.Sub(restartedAt)
	// The client that subscribed into the outage retries, as Action Cable
	// clients do, on the connection that stayed open.
	late.send(t, fmt.Sprintf(`{"command":"subscribe","identifier":%q}`, benchIdentifier))
	late.mustRead(t, "confirm_subscription")
	if err := srv.broadcast("all", benchMessage("after the restart")); err != nil {
		t.Fatal(err)
	}
	steady.mustRead(t, "after the restart")
	late.mustRead(t, "after the restart")
	stop()
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	outcomes := map[string]int{}
	var longest time.Duration
	for _, a := range log {
		outcomes[a.outcome]++
		longest = max(longest, a.end.Sub(a.start))
		switch a.outcome {
		case outSubscribed:
		case outAuthError, outNoConfirm:
			// Only attempts that met the outage (or the recovery: the
			// HTTP transport's circuit breaker stays open a few seconds
			// after the application is back) may fail.
			if a.end.Before(killedAt) || a.start.After(recoveredAt) {
				t.Errorf("%s with the application up (%v → %v)", a.outcome, a.start.Format("15:04:05.000"), a.end.Format("15:04:05.000"))
			}
		default:
			t.Errorf("attempt %v → %v: %s", a.start.Format("15:04:05.000"), a.end.Format("15:04:05.000"), a.outcome)
		}
	}
	t.Logf("%s: %d attempts %v, longest %v, recovered %v after the restart", transport, len(log), outcomes, longest.Round(time.Millisecond), recovered.Round(time.Millisecond))
	t.Logf("%s: %d \"RPC Connect failed\" log lines", transport, strings.Count(srv.logs(), "RPC Connect failed"))
	if v, err := srv.metric("rpc_pending_num"); err != nil || v != 0 {
		t.Errorf("rpc_pending_num = %v (%v) after recovery: calls left waiting", v, err)
	}
	if srv.exited() || !srv.healthy() {
		t.Fatalf("server not healthy after the outage (exited: %v)", srv.exited())
	}
}

// oneAttempt connects, waits for the welcome, subscribes and waits for the
// confirmation, then closes. Anything not answered within bound is
// reported as a hang.
func oneAttempt(url string, bound time.Duration) string {
	c, err := tryDialCable(url)
	if err != nil {
		return "dial: " + err.Error()
	}
	defer c.conn.Close()
	msg, err := c.readWithin(bound)
	switch {
	case isTimeout(err):
		return "hang: no welcome nor close"
	case err != nil:
		return closeOutcome(err)
	case !strings.Contains(msg, `"type":"welcome"`):
		return "unexpected first message " + msg
	}
	if err := wsutil.WriteClientText(c.conn, []byte(fmt.Sprintf(`{"command":"subscribe","identifier":%q}`, benchIdentifier))); err != nil {
		return "write: " + err.Error()
	}
	deadline := time.Now().Add(bound)
	for {
		msg, err := c.readWithin(time.Until(deadline))
		switch {
		case isTimeout(err):
			return outNoConfirm
		case err != nil:
			return closeOutcome(err)
		case strings.Contains(msg, `"type":"confirm_subscription"`):
			_ = ws.WriteFrame(c.conn, ws.MaskFrame(ws.NewCloseFrame(ws.NewCloseFrameBody(ws.StatusNormalClosure, ""))))
			return outSubscribed
		case strings.Contains(msg, `"type":"ping"`):
		default:
			return "unexpected reply " + msg
		}
	}
}

// closeErr is a close frame from the server.
type closeErr struct {
	code   uint16
	reason string
}

func (e closeErr) Error() string { return fmt.Sprintf("close %d %s", e.code, e.reason) }

func closeOutcome(err error) string {
	if ce, ok := err.(closeErr); ok {
		return ce.Error()
	}
	return "connection error: " + err.Error()
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// cableClient is a plain Action Cable JSON client.
type cableClient struct {
	conn net.Conn
	rd   *bufio.Reader
}

func tryDialCable(url string) (*cableClient, error) {
	d := ws.Dialer{Timeout: 5 * time.Second, Protocols: []string{"actioncable-v1-json"}}
	conn, br, _, err := d.Dial(context.Background(), url)
	if err != nil {
		return nil, err
	}
	if br == nil {
		br = bufio.NewReader(conn)
	}
	return &cableClient{conn: conn, rd: br}, nil
}

func dialCable(t *testing.T, url string) *cableClient {
	t.Helper()
	c, err := tryDialCable(url)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { c.conn.Close() })
	return c
}

func (c *cableClient) send(t *testing.T, msg string) {
	t.Helper()
	if err := wsutil.WriteClientText(c.conn, []byte(msg)); err != nil {
		t.Fatalf("send: %v", err)
	}
}

// readWithin returns the next text message other than a ping; a close
// frame comes back as a closeErr.
func (c *cableClient) readWithin(d time.Duration) (string, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(d))
	for {
		h, err := ws.ReadHeader(c.rd)
		if err != nil {
			return "", err
		}
		p := make([]byte, h.Length)
		if _, err := io.ReadFull(c.rd, p); err != nil {
			return "", err
		}
		switch h.OpCode {
		case ws.OpClose:
			ce := closeErr{code: 1005}
			if len(p) >= 2 {
				ce = closeErr{code: uint16(p[0])<<8 | uint16(p[1]), reason: string(p[2:])}
			}
			return "", ce
		case ws.OpText:
			if strings.HasPrefix(string(p), `{"type":"ping"`) {
				continue
			}
			return string(p), nil
		}
	}
}

// mustRead reads messages until one contains want (10 s bound).
func (c *cableClient) mustRead(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		msg, err := c.readWithin(time.Until(deadline))
		if err != nil {
			t.Fatalf("waiting for %q: %v", want, err)
		}
		if strings.Contains(msg, want) {
			return
		}
	}
}
