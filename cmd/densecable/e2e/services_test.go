package e2e

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// sharedRedis is the Redis the machine (and CI) runs; sharedNATS the NATS
// server with JetStream.
const (
	sharedRedis    = "127.0.0.1:6379"
	sharedRedisURL = "redis://" + sharedRedis + "/0"
	sharedNATS     = "127.0.0.1:4222"
	sharedNATSURL  = "nats://" + sharedNATS
)

// requireRedis fails the test (never skips: the tests must run in CI)
// unless a Redis answers PING at addr.
func requireRedis(t *testing.T, addr string) {
	t.Helper()
	if v, err := redisDo(addr, "PING"); err != nil || v != "PONG" {
		t.Fatalf("Redis at %s is needed (start redis-server): PING gave %v, %v", addr, v, err)
	}
}

// requireNATS fails the test unless a NATS server accepts connections at
// addr and greets with INFO.
func requireNATS(t *testing.T, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, respTimeout)
	if err == nil {
		_ = c.SetDeadline(time.Now().Add(respTimeout))
		var line string
		line, err = bufio.NewReader(c).ReadString('\n')
		c.Close()
		if err == nil && !strings.HasPrefix(line, "INFO ") {
			err = fmt.Errorf("greeting %q is not a NATS INFO", line)
		}
	}
	if err != nil {
		t.Fatalf("NATS at %s is needed (start nats-server -js): %v", addr, err)
	}
}
