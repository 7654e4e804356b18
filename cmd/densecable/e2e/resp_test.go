package e2e

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// respTimeout bounds one command to a test Redis.
const respTimeout = 5 * time.Second

// redisDo sends one command to the Redis at addr over a fresh connection
// and returns the decoded reply: string, int64, nil, []any, or a
// redisError. A tiny RESP client of our own, so the tests publish to Redis
// Streams (what `redis-cli XADD` does) without sharing densecable's client.
func redisDo(addr string, args ...string) (any, error) {
	c, err := net.DialTimeout("tcp", addr, respTimeout)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(respTimeout))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.Write([]byte(b.String())); err != nil {
		return nil, err
	}
	return readRESP(bufio.NewReader(c))
}

// redisError is an error reply ("-ERR ...").
type redisError string

func (e redisError) Error() string { return string(e) }

func readRESP(r *bufio.Reader) (any, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return nil, errors.New("empty RESP line")
	}
	switch body := line[1:]; line[0] {
	case '+':
		return body, nil
	case '-':
		return redisError(body), nil
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return nil, err
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return nil, err
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = readRESP(r); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected RESP line %q", line)
}

// mustRedis runs a command and fails the test on a transport or Redis
// error.
func mustRedis(t *testing.T, addr string, args ...string) any {
	t.Helper()
	v, err := redisDo(addr, args...)
	if err == nil {
		if re, ok := v.(redisError); ok {
			err = re
		}
	}
	if err != nil {
		t.Fatalf("redis %s %v: %v", addr, args, err)
	}
	return v
}

// xadd appends a broadcast to a Redis Stream read by the redisx
// broadcaster, as an application would: one entry, field "payload".
func xadd(t *testing.T, addr, key, stream string, data any) {
	t.Helper()
	mustRedis(t, addr, "XADD", key, "*", "payload", jsonOf(map[string]string{"stream": stream, "data": jsonOf(data)}))
}
