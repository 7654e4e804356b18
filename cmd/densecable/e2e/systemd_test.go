package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/densecable/densecable/internal/systemd/systemdtest"
)

// socketActivate is systemd-socket-activate(1), the tool that plays
// systemd's part in socket activation outside systemd. Missing, the test
// fails: .ci/run installs it (Debian package systemd).
func socketActivate(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("systemd-socket-activate")
	if err != nil {
		t.Fatalf("systemd-socket-activate not found (%v): install the systemd package (apt-get install systemd); .ci/run does", err)
	}
	return p
}

// wsClient is a minimal Action Cable client over gobwas/ws.
type wsClient struct {
	conn net.Conn
	rd   *bufio.Reader
}

// dialCable connects and reads the welcome, both within timeout.
func dialCable(url string, timeout time.Duration) (*wsClient, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	conn, br, _, err := ws.Dialer{Protocols: []string{"actioncable-v1-json"}}.Dial(ctx, url)
	if err != nil {
		return nil, err
	}
	c := &wsClient{conn: conn, rd: br}
	if c.rd == nil {
		c.rd = bufio.NewReader(conn)
	}
	msg, err := c.next(timeout)
	if err != nil {
		conn.Close()
		return nil, err
	}
	if msg["type"] != "welcome" {
		conn.Close()
		return nil, &unexpected{msg}
	}
	return c, nil
}

type unexpected struct{ msg map[string]any }

func (u *unexpected) Error() string { return "unexpected message " + jsonOf(u.msg) }

// next returns the next message that is not a ping.
func (c *wsClient) next(timeout time.Duration) (map[string]any, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(timeout))
	for {
		h, err := ws.ReadHeader(c.rd)
		if err != nil {
			return nil, err
		}
		b := make([]byte, h.Length)
		if _, err := io.ReadFull(c.rd, b); err != nil {
			return nil, err
		}
		if h.OpCode == ws.OpClose {
			return nil, errors.New("closed by the server")
		}
		if h.OpCode != ws.OpText {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, err
		}
		if m["type"] != "ping" {
			return m, nil
		}
	}
}

func (c *wsClient) send(v any) error {
	b, _ := json.Marshal(v)
	return wsutil.WriteClientText(c.conn, b)
}

// densecable started by systemd-socket-activate takes the main, broadcast
// and API listeners from the sockets it passed (named with
// FileDescriptorName= values http, broadcast, api), reports READY=1 and,
// on SIGTERM, STOPPING=1. The ports stay held by systemd-socket-activate's
// sockets: a densecable that bound them itself would fail with EADDRINUSE.
func TestSocketActivation(t *testing.T) {
	sda := socketActivate(t)
	ports := freePorts(t, 3)
	main, bcast, api := ports[0], ports[1], ports[2]
	sock := systemdtest.Listen(t, false)
	args := []string{
		"-l", hostPort(main), "-l", hostPort(bcast), "-l", hostPort(api),
		"--fdname=http:broadcast:api",
		"-E", "NOTIFY_SOCKET=" + sock.Addr,
		binaries.densecable,
	}
	args = append(args, baseFlags(main)...)
	args = append(args, "--public", "--http_broadcast_port="+strconv.Itoa(bcast), "--api_port="+strconv.Itoa(api))
	cmd := exec.Command(sda, args...)
	cmd.Env = childEnv()
	p := startCmd(t, "systemd-socket-activate densecable", cmd)
	waitFor(t, p, "systemd-socket-activate listening", func() bool {
		return strings.Contains(p.out.String(), "Listening on "+hostPort(api))
	})

	// The first connection is what makes systemd-socket-activate start the
	// server: it waits in the socket's backlog meanwhile.
	c, err := dialCable("ws://"+hostPort(main)+"/cable", startTimeout)
	if err != nil {
		t.Fatalf("first connection through the passed socket: %v", err)
	}
	defer c.conn.Close()
	if sock.WaitFor(0, startTimeout, systemdtest.Has("READY", "1")) < 0 {
		t.Fatalf("no READY=1: %v", sock.Messages())
	}
	id := jsonOf(map[string]string{"channel": "$pubsub", "stream_name": "sd-room"})
	if err := c.send(map[string]string{"command": "subscribe", "identifier": id}); err != nil {
		t.Fatal(err)
	}
	if m, err := c.next(10 * time.Second); err != nil || m["type"] != "confirm_subscription" {
		t.Fatalf("subscribe: %v %v", m, err)
	}

	// The broadcast listener is the socket named "broadcast".
	url := "http://" + hostPort(bcast) + "/_broadcast"
	if code, body := request(t, "POST", url, "", broadcastBody("sd-room", map[string]string{"via": "broadcast"})); code != http.StatusCreated {
		t.Fatalf("POST %s: %d %s", url, code, body)
	}
	// The REST API listener is the socket named "api".
	url = "http://" + hostPort(api) + "/api/publish"
	if code, body := request(t, "POST", url, "", broadcastBody("sd-room", map[string]string{"via": "api"})); code != http.StatusCreated {
		t.Fatalf("POST %s: %d %s", url, code, body)
	}
	for _, via := range []string{"broadcast", "api"} {
		m, err := c.next(10 * time.Second)
		if err != nil {
			t.Fatalf("waiting for the %s message: %v", via, err)
		}
		if msg, _ := m["message"].(map[string]any); msg["via"] != via {
			t.Fatalf("got %v, want the message sent via %s", m, via)
		}
	}

	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if sock.WaitFor(0, 10*time.Second, systemdtest.Has("STOPPING", "1")) < 0 {
		t.Fatalf("no STOPPING=1 after SIGTERM: %v", sock.Messages())
	}
	if m, err := c.next(10 * time.Second); err != nil || m["type"] != "disconnect" || m["reason"] != "server_restart" {
		t.Fatalf("after SIGTERM: %v %v", m, err)
	}
	if err := waitExit(p, stopGrace); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
}

// waitExit waits for a process told to stop and returns its exit error.
func waitExit(p *proc, timeout time.Duration) error {
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		return errors.New("still running after " + timeout.String())
	}
}

// attempts counts a client loop's connections.
type attempts struct {
	started, ok atomic.Int64
	// redirected counts connections the stopping generation had accepted
	// before it stopped accepting: they are answered with disconnect
	// server_restart and reconnect, which a client follows (not a refusal).
	redirected atomic.Int64
	mu         sync.Mutex
	failures   []string
}

// dialLoop connects again and again (WebSocket handshake and welcome, then
// close) until stop is closed; every failure is recorded. A server_restart
// with reconnect is followed, as @anycable/core does: the loop connects
// again.
func (a *attempts) dialLoop(url string, stop <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	for {
		select {
		case <-stop:
			return
		default:
		}
		a.started.Add(1)
		c, err := dialCable(url, 20*time.Second)
		var u *unexpected
		if errors.As(err, &u) && u.msg["type"] == "disconnect" && u.msg["reason"] == "server_restart" && u.msg["reconnect"] == true {
			a.redirected.Add(1)
			continue
		}
		if err != nil {
			a.mu.Lock()
			a.failures = append(a.failures, err.Error())
			a.mu.Unlock()
			time.Sleep(10 * time.Millisecond)
			continue
		}
		a.ok.Add(1)
		c.conn.Close()
		time.Sleep(5 * time.Millisecond)
	}
}

// A restart refuses no connection attempt: the listening socket belongs to
// the supervisor (this test plays systemd's part and holds it), generation
// 1 stops accepting on SIGTERM and tells its clients server_restart,
// attempts made while no process runs wait in the socket's backlog, and
// generation 2, started by systemd-socket-activate with the same socket,
// serves them. Client loops connecting all the while see no failure (a
// connection generation 1 accepted just before it stopped accepting is
// told server_restart with reconnect, and connects again).
func TestRestartRefusesNoConnection(t *testing.T) {
	sda := socketActivate(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	url := "ws://" + hostPort(port) + "/cable"

	// generation starts densecable the way systemd restarts a socket-
	// activated service: the socket as descriptor 3. sh sets LISTEN_PID to
	// its own pid, which exec keeps, for systemd-socket-activate to pass the
	// socket on (with its name) to densecable.
	generation := func(n int) (*proc, *systemdtest.NotifySocket) {
		sock := systemdtest.Listen(t, n == 2)
		args := append([]string{"-c", `LISTEN_PID=$$ LISTEN_FDS=1 exec "$@"`, "sh",
			sda, "--fdname=http", "-E", "NOTIFY_SOCKET=" + sock.Addr, binaries.densecable},
			append(baseFlags(port), "--public", "--broadcast_adapter=http", "--http_broadcast_port="+strconv.Itoa(port))...)
		cmd := exec.Command("/bin/sh", args...)
		cmd.Env = childEnv()
		cmd.ExtraFiles = []*os.File{f}
		return startCmd(t, "densecable generation "+strconv.Itoa(n), cmd), sock
	}
	waitReady := func(p *proc, sock *systemdtest.NotifySocket) {
		t.Helper()
		if sock.WaitFor(0, startTimeout, systemdtest.Has("READY", "1")) < 0 {
			t.Fatalf("%s: no READY=1 (exited: %v)", p.name, p.exited())
		}
	}

	var a attempts
	stop := make(chan struct{})
	var wg sync.WaitGroup
	const loops = 4
	for i := 0; i < loops; i++ {
		wg.Add(1)
		go a.dialLoop(url, stop, &wg)
	}
	stopLoops := func() {
		select {
		case <-stop:
		default:
			close(stop)
			wg.Wait()
		}
	}
	defer stopLoops()

	gen1, sock1 := generation(1)
	waitReady(gen1, sock1)
	c, err := dialCable(url, 10*time.Second)
	if err != nil {
		t.Fatalf("client of generation 1: %v", err)
	}
	defer c.conn.Close()
	waitOK := func(n int64, what string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for a.ok.Load() < n {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d connections served, want %d", what, a.ok.Load(), n)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitOK(20, "generation 1")
	// The official client, @anycable/core, subscribed to a stream: it must
	// follow server_restart to generation 2 by itself.
	ag := startAgent(t, 2*time.Minute)
	sid1 := ag.do("connect", map[string]any{"cable": "a", "url": url})["sid"]
	ag.do("subscribe", map[string]any{"cable": "a", "stream": "restart-room"})

	_ = gen1.cmd.Process.Signal(syscall.SIGTERM)
	if sock1.WaitFor(0, 10*time.Second, systemdtest.Has("STOPPING", "1")) < 0 {
		t.Fatal("generation 1: no STOPPING=1")
	}
	m, err := c.next(10 * time.Second)
	if err != nil || m["type"] != "disconnect" || m["reason"] != "server_restart" || m["reconnect"] != true {
		t.Fatalf("generation 1's client got %v, %v; want disconnect server_restart with reconnect", m, err)
	}
	c.conn.Close()
	if err := waitExit(gen1, stopGrace); err != nil {
		t.Fatalf("generation 1 exit: %v", err)
	}
	exited := time.Now()

	// No process accepts now: the loops' attempts wait in the backlog of
	// the socket the supervisor holds.
	pending := func() int64 {
		a.mu.Lock()
		defer a.mu.Unlock()
		return a.started.Load() - a.ok.Load() - a.redirected.Load() - int64(len(a.failures))
	}
	deadline := time.Now().Add(10 * time.Second)
	for pending() < loops && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	gap := pending()
	if gap < 1 {
		t.Fatal("no attempt waiting while no server ran")
	}
	// The client told to reconnect does so, to the next generation.
	type result struct {
		c   *wsClient
		err error
	}
	reconnected := make(chan result, 1)
	go func() {
		c, err := dialCable(url, 30*time.Second)
		reconnected <- result{c, err}
	}()

	gen2, sock2 := generation(2)
	waitReady(gen2, sock2)
	noServer := time.Since(exited)
	r := <-reconnected
	if r.err != nil {
		t.Fatalf("reconnect to generation 2: %v", r.err)
	}
	r.c.conn.Close()
	deadline = time.Now().Add(20 * time.Second)
	for {
		st := ag.do("state", map[string]any{"cable": "a"})
		if st["state"] == "connected" && st["sid"] != sid1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("@anycable/core did not reconnect to generation 2: %v", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Its subscription came back with it: a broadcast on generation 2
	// reaches it.
	ag.do("sync", map[string]any{"cables": []string{"a"}, "stream": "restart-room", "url": "http://" + hostPort(port) + "/_broadcast"})
	ag.quit()
	served := a.ok.Load()
	waitOK(served+20, "generation 2")
	stopLoops()

	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.failures) > 0 {
		t.Fatalf("%d of %d connection attempts failed across the restart, first: %s", len(a.failures), a.started.Load(), a.failures[0])
	}
	// Each loop has one attempt in flight: more redirections than loops
	// would mean generation 1 went on accepting after SIGTERM.
	if r := a.redirected.Load(); r > loops {
		t.Fatalf("%d attempts told to reconnect, more than the %d loops had in flight at the stop", r, loops)
	}
	t.Logf("%d connections across the restart, %d of them waiting for the %v no generation ran, %d told to reconnect by the stopping one; none refused or failed", a.ok.Load(), gap, noServer.Round(time.Millisecond), a.redirected.Load())
}
