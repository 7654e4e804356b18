package e2e

import (
	"fmt"
	"strconv"
	"testing"
)

// engines are densecable's event-loop engines (the hidden --poller flag):
// the wire-heavy scenarios run on each.
var engines = []string{"epoll", "netpoll"}

// server is a running densecable.
type server struct {
	*proc
	port  int
	flags []string
}

// baseFlags are the flags every densecable here runs with: loopback only,
// no config file or presets from the machine, quick pings and shutdown.
func baseFlags(port int) []string {
	return []string{
		"--host=127.0.0.1",
		"--port=" + strconv.Itoa(port),
		"--ignore-config-path",
		"--presets=none",
		"--ping_interval=1",
		"--shutdown_timeout=5",
		"--log_level=debug",
	}
}

// startServer starts densecable on a free port with flags after the base
// flags and waits until its health endpoint answers.
func startServer(t *testing.T, flags ...string) *server {
	t.Helper()
	return startServerOn(t, freePort(t), flags...)
}

func startServerOn(t *testing.T, port int, flags ...string) *server {
	t.Helper()
	s := &server{port: port, flags: flags}
	s.proc = startProc(t, fmt.Sprintf("densecable :%d", port), binaries.densecable, append(baseFlags(port), flags...)...)
	waitHealthy(t, s.proc, s.httpURL("/health"))
	return s
}

// restart stops the server with SIGTERM, checks it exited cleanly and
// starts a new one on the same port with the same flags.
func (s *server) restart(t *testing.T) *server {
	t.Helper()
	if err := s.stop(); err != nil {
		t.Fatalf("densecable exited with %v after SIGTERM", err)
	}
	return startServerOn(t, s.port, s.flags...)
}

func (s *server) wsURL() string { return "ws://" + hostPort(s.port) + "/cable" }

func (s *server) httpURL(path string) string { return "http://" + hostPort(s.port) + path }

// benchApp is a running bench RPC application (bench/app).
type benchApp struct {
	*proc
	grpcPort int
}

// startBenchApp starts the bench app serving gRPC RPC and broadcasting to
// broadcastURL.
func startBenchApp(t *testing.T, broadcastURL string) *benchApp {
	t.Helper()
	a := &benchApp{grpcPort: freePort(t)}
	a.proc = startProc(t, "benchapp", binaries.benchapp,
		"--grpc="+hostPort(a.grpcPort), "--http=", "--broadcast_url="+broadcastURL, "--broadcast_mode=sync")
	waitListening(t, a.proc, a.grpcPort)
	return a
}

// startWithBenchApp starts the bench app and a densecable using it over
// gRPC, broadcasting over HTTP on a separate port. It returns the server and
// the broadcast URL.
func startWithBenchApp(t *testing.T, flags ...string) (*server, string) {
	t.Helper()
	bport := freePort(t)
	broadcastURL := "http://" + hostPort(bport) + "/_broadcast"
	app := startBenchApp(t, broadcastURL)
	s := startServer(t, append([]string{
		"--rpc_host=" + hostPort(app.grpcPort),
		"--broadcast_adapter=http",
		"--http_broadcast_port=" + strconv.Itoa(bport),
	}, flags...)...)
	return s, broadcastURL
}
