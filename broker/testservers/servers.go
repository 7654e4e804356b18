// Package testservers starts throwaway Redis and NATS servers for tests that
// must kill and restart them (the shared ones on 6379/4222 stay untouched),
// and checks that the shared ones are up.
package testservers

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	redisServerBin = "/usr/bin/redis-server"
	natsServerBin  = "/usr/sbin/nats-server"
	// SharedRedisAddr and SharedNATSAddr are the servers CI starts.
	SharedRedisAddr = "127.0.0.1:6379"
	SharedNATSAddr  = "127.0.0.1:4222"
)

// RequireShared fails the test with a clear message when a shared server is
// not reachable (integration tests must not pass by skipping).
func RequireShared(t testing.TB, addr, what string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("%s is not reachable at %s (CI starts it; start it locally): %v", what, addr, err)
	}
	_ = c.Close()
}

// UniqueName returns prefix plus a random suffix, so parallel tests (and
// repeated runs) never share a channel, stream or subject.
func UniqueName(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + "_" + hex.EncodeToString(b[:])
}

// Server is a child server process on a fixed port that a test can kill and
// restart.
type Server struct {
	t    testing.TB
	bin  string
	args []string
	Port int
	cmd  *exec.Cmd
}

// Addr is 127.0.0.1:<port>.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)) }

// NewRedis describes a redis-server without persistence on a free port,
// not started yet.
func NewRedis(t testing.TB) *Server {
	t.Helper()
	port := freePort(t)
	s := &Server{t: t, bin: redisServerBin, Port: port, args: []string{
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--protected-mode", "no", "--daemonize", "no", "--loglevel", "warning",
	}}
	t.Cleanup(s.Kill)
	return s
}

// StartRedisPersistent runs a redis-server with `appendonly yes` in dir on
// a free port: a restart with the same dir keeps every acknowledged write.
func StartRedisPersistent(t testing.TB, dir string) *Server {
	t.Helper()
	s := NewRedis(t)
	for i, a := range s.args {
		if a == "--appendonly" {
			s.args[i+1] = "yes"
		}
	}
	s.args = append(s.args, "--dir", dir)
	s.Start()
	return s
}

// StartRedis runs a NewRedis server.
func StartRedis(t testing.TB) *Server {
	t.Helper()
	s := NewRedis(t)
	s.Start()
	return s
}

// NewNATS describes a nats-server on a free port, not started yet.
func NewNATS(t testing.TB) *Server {
	t.Helper()
	port := freePort(t)
	s := &Server{t: t, bin: natsServerBin, Port: port, args: []string{"-a", "127.0.0.1", "-p", strconv.Itoa(port)}}
	t.Cleanup(s.Kill)
	return s
}

// StartNATSJetStream runs a nats-server with JetStream storing in dir on a
// free port: a restart with the same dir keeps the streams.
func StartNATSJetStream(t testing.TB, dir string) *Server {
	t.Helper()
	s := NewNATS(t)
	s.args = append(s.args, "-js", "-sd", dir)
	s.Start()
	return s
}

// StartNATS runs a NewNATS server.
func StartNATS(t testing.TB) *Server {
	t.Helper()
	s := NewNATS(t)
	s.Start()
	return s
}

// Start launches the process and waits until it accepts connections.
func (s *Server) Start() {
	s.t.Helper()
	if s.cmd != nil {
		s.t.Fatalf("%s already running", s.bin)
	}
	cmd := exec.Command(s.bin, s.args...)
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start %s: %v", s.bin, err)
	}
	s.cmd = cmd
	deadline := time.Now().Add(10 * time.Second)
	for {
		if s.ready() {
			return
		}
		if time.Now().After(deadline) {
			s.Kill()
			s.t.Fatalf("%s did not come up on port %d", s.bin, s.Port)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ready checks the server answers: PING for Redis, the INFO line for NATS.
func (s *Server) ready() bool {
	c, err := net.DialTimeout("tcp", s.Addr(), time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	r := bufio.NewReader(c)
	if s.bin == redisServerBin {
		if _, err := c.Write([]byte("PING\r\n")); err != nil {
			return false
		}
		line, err := r.ReadString('\n')
		return err == nil && strings.HasPrefix(line, "+PONG")
	}
	line, err := r.ReadString('\n')
	return err == nil && strings.HasPrefix(line, "INFO")
}

// Kill stops the process (SIGKILL, by PID) and reaps it.
func (s *Server) Kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// Restart kills the server and starts it again on the same port.
func (s *Server) Restart() {
	s.t.Helper()
	s.Kill()
	s.Start()
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// RedisURL is redis://<addr>.
func (s *Server) RedisURL() string { return fmt.Sprintf("redis://%s", s.Addr()) }

// NATSURL is nats://<addr>.
func (s *Server) NATSURL() string { return fmt.Sprintf("nats://%s", s.Addr()) }
